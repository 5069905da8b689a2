"""`huzhu rounds ...` and `huzhu round quote`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from clikit import ALICE, HEALTHY, claim_args, cli, counts, init, join_args, ok, refused, text
from sqlalchemy import Engine, func, select, table

from helpers import at, join_many


def test_round_quote_needs_no_database(tmp_path: Path, database_url: str) -> None:
    expected = {
        "members": 1000,
        "payouts": 100000,
        "fee": 8000,
        "carry_in": 0,
        "share": 108,
        "collected": 108000,
        "surplus": 0,
        "backstop": 0,
    }
    args = ("round", "quote", "--plan", "meituan-huzhu", "--members", "1000", "--payouts", "1000")
    assert json.loads(ok(database_url, *args, "--json").stdout) == expected

    nowhere = tmp_path / "absent" / "never.db"
    result = ok(f"sqlite:///{nowhere}", *args, "--json")
    assert json.loads(result.stdout) == expected
    assert not nowhere.exists()
    assert not nowhere.parent.exists()

    plain = ok(f"sqlite:///{nowhere}", *args)
    assert "1.08 yuan" in plain.stdout
    assert not nowhere.exists()


@pytest.mark.parametrize(
    ("payouts", "code"),
    [("-5", "amount-negative"), ("abc", "amount-malformed"), ("1.001", "amount-precision")],
)
def test_round_quote_refuses_a_bad_amount(tmp_path: Path, payouts: str, code: str) -> None:
    nowhere = tmp_path / "never.db"
    result = cli(
        f"sqlite:///{nowhere}",
        "round",
        "quote",
        "--plan",
        "meituan-huzhu",
        "--members",
        "1000",
        f"--payouts={payouts}",
    )
    assert result.exit_code != 0
    assert code in result.stderr and "payouts" in result.stderr
    assert result.stdout == ""
    assert not nowhere.exists()


def test_round_quote_refuses_an_unknown_plan_and_negative_members(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'never.db'}"
    result = cli(url, "round", "quote", "--plan", "nope", "--members", "10", "--payouts", "1")
    assert result.exit_code != 0 and "unknown-plan" in result.stderr
    result = cli(url, "round", "quote", "--plan", "meituan-huzhu", "--members=-1", "--payouts", "1")
    assert result.exit_code != 0 and "--members" in result.stderr


def test_rounds_run_refuses_bad_dates(engine: Engine, database_url: str) -> None:
    init(database_url)
    ok(database_url, *join_args(ALICE, *HEALTHY))
    now = at("2026-01-10").isoformat()
    args = ("rounds", "run", "--plan", "xiang-hu-bao", "--date")
    refused(engine, database_url, *args, "2026-01-08", codes=("not-a-round-date",), now=now)
    refused(engine, database_url, *args, "2026-02-07", codes=("round-not-due",), now=now)
    refused(engine, database_url, *args, "Jan 7", codes=("date",), now=now)
    refused(
        engine,
        database_url,
        "rounds",
        "show",
        "--plan",
        "xiang-hu-bao",
        "--date",
        "2026-01-21",
        codes=("unknown-round",),
        now=now,
    )


def test_running_a_round_twice_changes_nothing(engine: Engine, database_url: str) -> None:
    init(database_url)
    ok(database_url, *join_args(ALICE, *HEALTHY))
    assert join_many(engine, "xiang-hu-bao", 10, at("2026-01-02")) == 10
    submitted = ok(database_url, *claim_args(ALICE), now=at("2026-01-03").isoformat())
    claim = re.search(r"claim (\d+)", submitted.stdout)
    assert claim
    ok(database_url, "claims", "approve", claim[1], "--by", "r", now=at("2026-01-04").isoformat())
    now = at("2026-01-07", 12).isoformat()
    args = ("rounds", "run", "--plan", "xiang-hu-bao", "--date", "2026-01-07")
    first = ok(database_url, *args, now=now)
    assert "already run" not in first.stdout
    before = counts(engine)
    again = ok(database_url, *args, now=at("2026-01-08").isoformat())
    assert "already run" in text(again.stdout)
    assert counts(engine) == before
    # Without --date, every due round not yet run: the 7th is not run again.
    later = ok(
        database_url,
        "rounds",
        "run",
        "--plan",
        "xiang-hu-bao",
        now=at("2026-01-21", 12).isoformat(),
    )
    assert "2026-01-21" in later.stdout
    assert counts(engine)["ledger_transactions"] == before["ledger_transactions"]  # no payouts
    assert "audit passed" in ok(database_url, "audit").stdout


def test_rounds_start_at_the_plans_effective_date_here(engine: Engine, database_url: str) -> None:
    june = at("2026-06-10").isoformat()
    init(database_url, now=june)  # the templates are effective since 2018, installed today
    ok(database_url, *join_args(ALICE, *HEALTHY), now=june)
    ran = text(ok(database_url, "rounds", "run", "--plan", "xiang-hu-bao",
                  now=at("2026-06-21", 12).isoformat()).stdout)  # fmt: skip
    # Before: every round since 1 January, 11 empty rounds of a plan nobody had joined.
    assert re.findall(r"round xiang-hu-bao (\S+): Merkle root", ran) == ["2026-06-21"]


def test_a_plan_in_preparation_runs_no_rounds(engine: Engine, database_url: str) -> None:
    init(database_url)
    ok(database_url, *join_args(ALICE, *HEALTHY, plan="fosun-huzhu"))
    before = counts(engine)
    later = at("2026-02-01").isoformat()
    ran = text(ok(database_url, "rounds", "run", "--plan", "fosun-huzhu", now=later).stdout)
    assert "fosun-huzhu is in preparation: 1 of the 300,000 members" in ran
    assert "no round is due" in ran
    assert counts(engine) == before
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(table("rounds"))) == 0
    # Asked for by date, a round of a plan in preparation is refused too.
    refused(engine, database_url, "rounds", "run", "--plan", "fosun-huzhu", "--date", "2026-01-21",
            codes=("plan-in-preparation",), now=later)  # fmt: skip
