"""`huzhu audit` catches every way of rewriting the books behind the application's back.

Each test builds the same small history, proves that the audit passes, rewrites one thing with raw
SQL (dropping or disabling the append-only triggers first where the table has them), and shows that
the audit fails naming the entry that was touched, and that `huzhu audit` exits 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from helpers import at, install, join_many, join_one, publish_text
from huzhu.cli.app import app
from huzhu.cli.context import STATE
from huzhu.domain.claims import ClaimState
from huzhu.plans.loader import template_text
from huzhu.services.audit.service import audit
from huzhu.services.claims import decisions, submission
from huzhu.services.money.ledger import top_up
from huzhu.services.rounds.service import run_round
from huzhu.storage.uow import UnitOfWork

PLAN = "qingsong-nodeposit"  # prepaid: members top up, rounds charge their balances
FIRST_ROUND = date(2025, 4, 21)
SECOND_ROUND = date(2025, 5, 7)
APPEND_ONLY = ("ledger_postings", "ledger_transactions", "member_charges", "member_credits")

BALANCED = "every transaction balances"
CHAIN = "no posting or transaction has changed (digest chain)"
ACCOUNTS = "account balances match their postings"
SUBLEDGER = "members' balances add up to the member-funds account"
ROUNDS = "every round adds up and carries its surplus"


@dataclass(frozen=True)
class History:
    depositors: list[int]  # memberships that topped up, in order
    first_round: int  # round ids
    second_round: int


def _claim_and_round(
    engine: Engine, membership_id: int, code: str, diagnosed: date, announce: date
) -> int:
    with UnitOfWork(engine) as uow:
        claim = submission.submit(
            uow,
            submission.ClaimRequest(membership_id, code, diagnosed, "四川大学华西医院"),
            at((diagnosed + timedelta(days=1)).isoformat()),
        )
        assert claim.state is ClaimState.SUBMITTED, claim.reason_text
        decisions.approve(
            uow, claim.id or 0, "reviewer", at((diagnosed + timedelta(2)).isoformat())
        )
        uow.commit()
    with UnitOfWork(engine) as uow:
        outcome = run_round(uow, PLAN, announce, at(announce.isoformat(), 12))
        uow.commit()
    figures = outcome.round.figures
    assert figures.cases == 1 and figures.collected > 0
    return outcome.round.id


def build_history(engine: Engine) -> History:
    """22 members, 8 top-ups, two claims approved and shared in two rounds."""
    install(engine, at("2025-01-01"))
    # Qingsong without its joining deposit: members are covered from joining (deposits:
    # tests/money/test_deposit.py) and most never top up, so the backstop pays their shares.
    doc = template_text("qingsong-huzhu").replace('id = "qingsong-huzhu"', f'id = "{PLAN}"')
    doc = "\n".join(x for x in doc.splitlines() if not x.startswith("initial_deposit"))
    publish_text(engine, doc, at("2025-01-01"))
    first = join_one(engine, PLAN, at("2025-01-02"), n=1, birth=date(1990, 1, 1))
    second = join_one(engine, PLAN, at("2025-01-02"), n=2, birth=date(1991, 2, 2))
    assert join_many(engine, PLAN, 20, at("2025-01-02")) == 20
    with UnitOfWork(engine) as uow:
        depositors = [m for m, _ in uow.memberships.roster(PLAN)][2:10]
        for k, membership_id in enumerate(depositors):
            # Enough for both rounds: 16,200 yuan a head each time, the backstop pays the rest.
            top_up(
                uow, membership_id, 2_000_000, f"deposit-{membership_id}", at("2025-01-03", 9 + k)
            )
        uow.commit()
    # Cover starts 90 days after joining (2025-04-02).
    one = _claim_and_round(engine, first.membership_id, "CI-01", date(2025, 4, 10), FIRST_ROUND)
    two = _claim_and_round(engine, second.membership_id, "CI-02", date(2025, 4, 25), SECOND_ROUND)
    return History(depositors, one, two)


@pytest.fixture
def history(engine: Engine) -> Iterator[History]:
    built = build_history(engine)
    assert problems(engine) == {}
    yield built


def problems(engine: Engine) -> dict[str, list[str]]:
    """The failed checks of the audit, by name."""
    with UnitOfWork(engine) as uow:
        report = audit(uow)
    return {c.name: c.problems for c in report.checks if not c.ok}


def cli_audit(engine: Engine) -> tuple[int, str]:
    url = engine.url.render_as_string(hide_password=False)
    try:
        result = CliRunner().invoke(app, ["--database", url, "audit"])
    finally:
        if STATE._engine is not None:
            STATE._engine.dispose()
            STATE._engine = None
    return result.exit_code, result.output


def tamper(
    engine: Engine, unlock: tuple[str, ...], *statements: tuple[str, dict[str, Any]]
) -> None:
    """Run raw SQL with the append-only triggers of `unlock` out of the way.

    PostgreSQL disables them inside the same transaction and enables them again before it commits,
    so the shared test database never keeps a table unguarded; the SQLite file is the test's own.
    """
    with engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        for table in unlock:
            assert table in APPEND_ONLY
            if postgres:
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            else:
                conn.execute(text(f"DROP TRIGGER {table}_no_update"))
                conn.execute(text(f"DROP TRIGGER {table}_no_delete"))
        for sql, params in statements:
            result = conn.execute(text(sql), params)
            assert result.rowcount >= 1, sql
        if postgres:
            for table in unlock:
                conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def round_txn(engine: Engine, announce: date) -> tuple[int, str]:
    key = f"round:{PLAN}:{announce.isoformat()}"
    txn_id = scalar(engine, "SELECT id FROM ledger_transactions WHERE key = :k", k=key)
    return int(txn_id), key


def posting(engine: Engine, txn_id: int, kind: str) -> int:
    return int(
        scalar(
            engine,
            "SELECT p.id FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id "
            "WHERE p.transaction_id = :t AND a.code = :c",
            t=txn_id,
            c=f"{PLAN}:{kind}",
        )
    )


def named(found: dict[str, list[str]], check: str, *fragments: str) -> bool:
    """Some problem of `check` mentions every fragment."""
    return any(all(f in p for f in fragments) for p in found.get(check, []))


def test_the_untouched_history_passes_the_audit(engine: Engine, history: History) -> None:
    code, output = cli_audit(engine)
    assert code == 0, output
    assert "audit passed" in output
    with UnitOfWork(engine) as uow:
        assert len(uow.ledger.transactions(PLAN, limit=1000)) == 8 * 2 + 2


def test_a_changed_posting_amount_is_named(engine: Engine, history: History) -> None:
    txn_id, key = round_txn(engine, FIRST_ROUND)
    leg = posting(engine, txn_id, "fee-income")
    tamper(
        engine,
        ("ledger_postings",),
        ("UPDATE ledger_postings SET amount = amount + 1 WHERE id = :id", {"id": leg}),
    )
    found = problems(engine)
    assert named(found, BALANCED, f"transaction {txn_id} ({key})", "sum to 0.01 yuan")
    assert named(found, CHAIN, f"transaction {txn_id} ({key})", "content has changed")
    assert named(found, ACCOUNTS, f"{PLAN}:fee-income")
    code, output = cli_audit(engine)
    assert code == 1 and key in output


def test_a_rebalanced_pair_of_postings_is_caught_by_the_chain_and_the_round(
    engine: Engine, history: History
) -> None:
    """Payouts become fee: the transaction still balances and the cached balances are moved too;
    the digest chain and the round's own figures both catch it."""
    txn_id, key = round_txn(engine, FIRST_ROUND)
    payable, fee = posting(engine, txn_id, "claims-payable"), posting(engine, txn_id, "fee-income")
    moved = 1_000_000
    tamper(
        engine,
        ("ledger_postings",),
        (
            "UPDATE ledger_postings SET amount = amount + :m WHERE id = :id",
            {"m": moved, "id": payable},
        ),
        ("UPDATE ledger_postings SET amount = amount - :m WHERE id = :id", {"m": moved, "id": fee}),
        (
            "UPDATE ledger_accounts SET balance = balance + :m WHERE code = :c",
            {"m": moved, "c": f"{PLAN}:claims-payable"},
        ),
        (
            "UPDATE ledger_accounts SET balance = balance - :m WHERE code = :c",
            {"m": moved, "c": f"{PLAN}:fee-income"},
        ),
    )
    found = problems(engine)
    assert found[CHAIN] == [f"transaction {txn_id} ({key}): content has changed"]
    assert any("posted" in p and "fee-income" in p for p in found[ROUNDS]), found[ROUNDS]
    assert any("posted" in p and "claims-payable" in p for p in found[ROUNDS]), found[ROUNDS]
    assert not found.keys() & {BALANCED, ACCOUNTS, SUBLEDGER}, found
    code, output = cli_audit(engine)
    assert code == 1 and key in output


def test_a_deleted_transaction_breaks_the_chain_at_the_next_one(
    engine: Engine, history: History
) -> None:
    victim = history.depositors[3]
    key = f"settle:top-up:{PLAN}:deposit-{victim}"
    txn_id = int(scalar(engine, "SELECT id FROM ledger_transactions WHERE key = :k", k=key))
    with engine.connect() as conn:
        after_id, after_key = conn.execute(
            text(
                "SELECT id, key FROM ledger_transactions WHERE plan_id = :p AND id > :t "
                "ORDER BY id LIMIT 1"
            ),
            {"p": PLAN, "t": txn_id},
        ).one()
    tamper(
        engine,
        ("ledger_postings", "ledger_transactions"),
        ("DELETE FROM ledger_postings WHERE transaction_id = :t", {"t": txn_id}),
        ("DELETE FROM ledger_transactions WHERE id = :t", {"t": txn_id}),
    )
    found = problems(engine)
    assert named(found, CHAIN, f"transaction {after_id} ({after_key})", "chain broken before it")
    assert named(found, CHAIN, f"{PLAN}: chain head says 18 transactions", "found 17")
    assert named(found, ACCOUNTS, f"{PLAN}:cash")
    assert named(found, ACCOUNTS, f"{PLAN}:gateway-clearing")
    code, output = cli_audit(engine)
    assert code == 1 and after_key in output and f"{PLAN}:cash" in output


def test_a_changed_cached_balance_is_named(engine: Engine, history: History) -> None:
    tamper(
        engine,
        (),
        ("UPDATE ledger_accounts SET balance = balance + 1 WHERE code = :c", {"c": f"{PLAN}:cash"}),
    )
    found = problems(engine)
    assert named(found, ACCOUNTS, f"{PLAN}:cash")
    assert not found.keys() & {BALANCED, CHAIN, SUBLEDGER, ROUNDS}, found
    code, output = cli_audit(engine)
    assert code == 1 and f"{PLAN}:cash" in output


def test_a_changed_round_total_is_named(engine: Engine, history: History) -> None:
    tamper(
        engine,
        (),
        ("UPDATE rounds SET collected = collected + 1 WHERE id = :r", {"r": history.first_round}),
    )
    found = problems(engine)
    assert not found.keys() & {BALANCED, CHAIN, ACCOUNTS, SUBLEDGER}, found
    assert named(found, ROUNDS, f"round {PLAN} {FIRST_ROUND}", "members' charges sum to")
    assert named(found, ROUNDS, f"round {PLAN} {FIRST_ROUND}", "to member-funds, the round says")
    code, output = cli_audit(engine)
    assert code == 1 and f"round {PLAN} {FIRST_ROUND}" in output


def test_a_changed_member_charge_is_named_by_its_round(engine: Engine, history: History) -> None:
    member = history.depositors[0]
    tamper(
        engine,
        ("member_charges",),
        (
            "UPDATE member_charges SET amount = amount - 1 "
            "WHERE round_id = :r AND membership_id = :m",
            {"r": history.second_round, "m": member},
        ),
    )
    found = problems(engine)
    assert not found.keys() & {BALANCED, CHAIN, ACCOUNTS}, found
    assert named(found, ROUNDS, f"round {PLAN} {SECOND_ROUND}", "members' charges sum to")
    assert named(found, SUBLEDGER, f"{PLAN}: member-funds")
    code, output = cli_audit(engine)
    assert code == 1 and f"round {PLAN} {SECOND_ROUND}" in output


def _change_a_credit(engine: Engine, history: History) -> tuple[int, str]:
    member = history.depositors[5]
    key = f"top-up:{PLAN}:deposit-{member}"
    txn_id = int(scalar(engine, "SELECT id FROM ledger_transactions WHERE key = :k", k=key))
    tamper(
        engine,
        ("member_credits",),
        (
            "UPDATE member_credits SET amount = amount + 100000 WHERE transaction_id = :t",
            {"t": txn_id},
        ),
    )
    return txn_id, key


def test_a_changed_member_credit_fails_the_audit(engine: Engine, history: History) -> None:
    _change_a_credit(engine, history)
    found = problems(engine)
    assert not found.keys() & {BALANCED, CHAIN, ACCOUNTS, ROUNDS}, found
    assert named(found, SUBLEDGER, f"{PLAN}: member-funds is")
    code, output = cli_audit(engine)
    assert code == 1 and f"{PLAN}: member-funds is" in output


def test_a_changed_member_credit_is_named(engine: Engine, history: History) -> None:
    txn_id, key = _change_a_credit(engine, history)
    found = problems(engine)
    assert any(key in p or f"transaction {txn_id}" in p for ps in found.values() for p in ps), found
