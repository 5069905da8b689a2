"""`huzhu topup` and `huzhu balances`."""

from __future__ import annotations

import json

import pytest
from clikit import (
    ALICE,
    HEALTHY,
    PREPAID,
    counts,
    init,
    join_args,
    membership_of,
    ok,
    refused,
    statement,
)
from sqlalchemy import Engine

from huzhu.cli.ledger import MEANING
from huzhu.domain.ledger import AccountKind


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("-5", "amount-negative"),
        ("abc", "amount-malformed"),
        ("0", "amount-not-positive"),
        ("0.00", "amount-not-positive"),
        ("1.005", "amount-precision"),
        ("", "amount-malformed"),
    ],
)
def test_a_bad_top_up_is_refused(engine: Engine, database_url: str, amount: str, code: str):
    init(database_url)
    joined = ok(database_url, *join_args(ALICE, *HEALTHY, plan=PREPAID), "--deposit-key", "d1")
    m = membership_of(joined)
    result = refused(
        engine,
        database_url,
        "topup",
        "--membership",
        str(m),
        f"--amount={amount}",
        "--key",
        "k1",
        codes=(code,),
    )
    assert "amount" in result.stderr
    assert statement(database_url, m)["balance"] == 0


def test_a_top_up_is_idempotent(engine: Engine, database_url: str) -> None:
    init(database_url)
    joined = ok(database_url, *join_args(ALICE, *HEALTHY, plan=PREPAID), "--deposit-key", "d1")
    m = membership_of(joined)
    args = ("topup", "--membership", str(m), "--key", "k1")
    first = ok(database_url, *args, "--amount", "10")
    assert "credited 10.00 yuan" in first.stdout
    after_first = counts(engine)
    ok(database_url, *args, "--amount", "10")
    assert counts(engine) == after_first
    assert statement(database_url, m)["balance"] == 1000

    refused(engine, database_url, *args, "--amount", "11", codes=("idempotency-key-reused",))
    assert statement(database_url, m)["balance"] == 1000

    ok(database_url, "topup", "--membership", str(m), "--key", "k2", "--amount", "0.50")
    assert statement(database_url, m)["balance"] == 1050
    assert "audit passed" in ok(database_url, "audit").stdout


def test_a_top_up_for_an_unknown_membership_is_refused(engine: Engine, database_url: str) -> None:
    init(database_url)
    result = refused(
        engine,
        database_url,
        "topup",
        "--membership",
        "999",
        "--amount",
        "10",
        "--key",
        "k",
        codes=("unknown-membership", "membership"),
    )
    assert result.stderr.startswith("error:")


def test_balances_names_the_at_option(engine: Engine, database_url: str) -> None:
    init(database_url)
    result = refused(
        engine,
        database_url,
        "balances",
        "--plan",
        "xiang-hu-bao",
        "--at",
        "garbage",
        codes=("invalid-input",),
    )
    assert "--at" in result.stderr and "--now" not in result.stderr


def test_every_account_kind_has_a_meaning_in_balances() -> None:
    """`huzhu balances` explains each account it prints (it failed on operator-funding)."""
    assert set(MEANING) == set(AccountKind)


def test_a_prepaid_statement_lists_the_balance_moves(engine: Engine, database_url: str) -> None:
    init(database_url)
    joined = ok(database_url, *join_args(ALICE, *HEALTHY, plan=PREPAID), "--deposit-key", "d1")
    m = membership_of(joined)
    ok(database_url, "topup", "--membership", str(m), "--key", "k1", "--amount", "10")
    ok(database_url, "topup", "--membership", str(m), "--key", "k2", "--amount", "0.50")
    s = statement(database_url, m)
    moves = s["balance_moves"]
    assert [(x["kind"], x["amount"]) for x in moves[:2]] == [("top-up", 50), ("top-up", 1000)]
    assert len(moves) == 2  # the deposit is asked of the gateway, not yet arrived
    assert sum(x["amount"] for x in moves) == s["balance"]
    assert s["balance_moves_next"] is None
    # The text form says the same, and pages: the move before the newest is the next page's top.
    text = ok(database_url, "statement", "--membership", str(m)).stdout
    assert "newest first" in text and "top-up" in text and "+0.50" in text
    older = ok(database_url, "statement", "--membership", str(m),
               "--moves-before", str(moves[0]["id"]), "--json").stdout  # fmt: skip
    assert [x["id"] for x in json.loads(older)["balance_moves"]] == [x["id"] for x in moves[1:]]


def test_a_post_paid_statement_has_no_balance_moves(engine: Engine, database_url: str) -> None:
    init(database_url)
    m = membership_of(ok(database_url, *join_args(ALICE, *HEALTHY)))
    s = statement(database_url, m)
    assert s["balance_moves"] is None and s["operator_paid"] == []
    assert "newest first" not in ok(database_url, "statement", "--membership", str(m)).stdout
