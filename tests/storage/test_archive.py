"""Archiving settled rounds, on SQLite and PostgreSQL (the `engine` fixture).

A round's charges leave `member_charges` (PostgreSQL: its partition is detached and moved to the
`huzhu_archive` schema; SQLite: its rows move to `member_charges_archive`), and everything that
reads charges (statements, inclusion proofs, `huzhu audit`, `huzhu verify`) says what it said
before. A charge changed in the archive is caught; rounds whose money is not settled are refused;
archiving again changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from archivekit import (
    FIRST,
    NOW,
    PLAN,
    archive_table,
    build_settled,
    charges_of,
    hot_rows,
    proofs,
    statements,
)
from helpers import at
from huzhu.domain.errors import NotFound, RuleViolation
from huzhu.domain.merkle import verify_proof
from huzhu.services.members.statement import statement
from huzhu.services.money import collection, payouts
from huzhu.services.record.archive import archive_rounds
from huzhu.services.record.merkle_proofs import prove, publish_round_proofs
from huzhu.services.record.verify import verify
from huzhu.storage.repositories.record.archive import ArchiveRepository
from huzhu.storage.repositories.record.archive_move import ArchiveMover
from huzhu.storage.uow import UnitOfWork
from money.moneykit import Sandbox, audit_problems, build, run

ARCHIVE_CHECK = "every archived round still holds what was archived"
MERKLE_CHECK = "every published Merkle root matches the round's charges"


def verify_problems(engine: Engine) -> dict[str, list[str]]:
    """What `huzhu verify` finds. These plans' claims were approved without an announcement,
    which verify reports whatever archiving does: that finding is left out."""
    with UnitOfWork(engine) as uow:
        report = verify(uow)
    found = {c.name: c.problems for c in report.checks if not c.ok}
    unannounced = found.pop("every announced case matches the claims table", [])
    assert all("the log never announced it" in p for p in unannounced)
    return found


def archived_rows(engine: Engine, round_id: int) -> int:
    where = "" if engine.dialect.name == "postgresql" else f" WHERE round_id = {round_id}"
    with engine.connect() as conn:
        return int(
            conn.scalar(text(f"SELECT COUNT(*) FROM {archive_table(engine, round_id)}{where}"))
        )


def test_archived_rounds_read_the_same_everywhere(engine: Engine) -> None:
    s = build_settled(engine)
    with UnitOfWork(engine) as uow:
        publish_round_proofs(uow, s.second, at("2026-01-21", 13))
        uow.commit()
    before = statements(engine, s), proofs(engine, s)
    assert before[0][s.members[1]][1] > 0  # a member who paid both rounds
    rows = {r: len(c) for r, c in s.charges.items()}

    # Only the first round was announced before the 15th.
    run1 = archive_rounds(engine, PLAN, date(2026, 1, 15), NOW)
    assert [(a.round_id, a.created, a.rows) for a in run1.rounds] == [
        (s.first, True, rows[s.first])
    ]
    assert run1.rounds[0].stored_in == archive_table(engine, s.first)
    assert hot_rows(engine, s.first) == 0 and hot_rows(engine, s.second) == rows[s.second]
    assert archived_rows(engine, s.first) == rows[s.first]
    assert (statements(engine, s), proofs(engine, s)) == before
    assert audit_problems(engine) == {}
    assert verify_problems(engine) == {}

    run2 = archive_rounds(engine, PLAN, date(2027, 1, 1), NOW)
    assert [(a.round_id, a.created) for a in run2.rounds] == [(s.first, False), (s.second, True)]
    assert hot_rows(engine, s.second) == 0 and archived_rows(engine, s.second) == rows[s.second]
    with UnitOfWork(engine) as uow:
        first, second = ArchiveRepository(uow.conn).records()
    assert first.paid_total < first.amount_total  # written off and waived: not collected
    assert second.paid_total == second.amount_total  # nobody failed in the second round
    assert (statements(engine, s), proofs(engine, s)) == before
    assert audit_problems(engine) == {}
    assert verify_problems(engine) == {}

    # Again: nothing changes.
    run3 = archive_rounds(engine, PLAN, date(2027, 1, 1), NOW)
    assert [a.created for a in run3.rounds] == [False, False]
    assert [a.root for a in run3.rounds] == [a.root for a in (*run1.rounds, run2.rounds[1])]
    assert archived_rows(engine, s.second) == rows[s.second]
    assert (statements(engine, s), proofs(engine, s)) == before


def test_a_dry_run_writes_nothing(engine: Engine) -> None:
    s = build_settled(engine)
    dry = archive_rounds(engine, PLAN, date(2027, 1, 1), NOW, dry_run=True)
    assert [(a.round_id, a.created, a.root) for a in dry.rounds] == [
        (s.first, True, None),
        (s.second, True, None),
    ]
    assert hot_rows(engine, s.first) == len(s.charges[s.first])
    with UnitOfWork(engine) as uow:
        assert ArchiveRepository(uow.conn).records() == []


def _unlock(conn: Connection, table: str) -> None:
    """Take the archive's append-only trigger out of the way, as a tamperer would."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    else:
        conn.execute(text(f"DROP TRIGGER {table}_no_update"))


@pytest.mark.parametrize("change", ["amount", "member"])
def test_a_changed_archived_charge_is_caught(engine: Engine, change: str) -> None:
    s = build_settled(engine)
    archive_rounds(engine, PLAN, date(2027, 1, 1), NOW)
    table = archive_table(engine, s.first)
    # The archive refuses changes like member_charges does.
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(f"UPDATE {table} SET amount = amount + 1"))
    victim, _ = s.charges[s.first][5]
    mine = "membership_id = :m AND round_id = :r"
    with engine.begin() as conn:
        _unlock(conn, table)
        if change == "amount":  # one fen more: the sum and the root change
            conn.execute(
                text(f"UPDATE {table} SET amount = amount + 1 WHERE {mine}"),
                {"m": victim, "r": s.first},
            )
        else:  # the charge moves to someone never charged: only the root can tell
            conn.execute(
                text(f"UPDATE {table} SET membership_id = :new WHERE {mine}"),
                {"m": victim, "r": s.first, "new": 10**6},
            )
    # The other checks add up archived rounds from their record: the archive check names it.
    problems = audit_problems(engine)
    assert set(problems) == {ARCHIVE_CHECK}
    found = problems[ARCHIVE_CHECK]
    assert all(p.startswith("round pp 2026-01-11 (archived): ") for p in found)
    assert any("has changed: its Merkle root is now" in p for p in found)
    if change == "amount":
        assert any(f"now holds {len(s.charges[s.first])} charges summing to" in p for p in found)
    assert MERKLE_CHECK in verify_problems(engine)


def test_a_crash_while_archiving_leaves_the_round_as_it_was(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = build_settled(engine, members=10)
    before = statements(engine, s)
    moved = ArchiveMover.move

    def crash(self: ArchiveMover, round_id: int) -> None:
        moved(self, round_id)
        if round_id == s.second:
            raise RuntimeError("killed")  # after the move, before the commit

    monkeypatch.setattr(ArchiveMover, "move", crash)
    with pytest.raises(RuntimeError, match="killed"):
        archive_rounds(engine, PLAN, date(2027, 1, 1), NOW)
    # The first round's transaction had committed; the second's left no trace.
    with UnitOfWork(engine) as uow:
        assert [a.round_id for a in ArchiveRepository(uow.conn).records()] == [s.first]
    assert hot_rows(engine, s.first) == 0
    assert hot_rows(engine, s.second) == len(s.charges[s.second])
    assert statements(engine, s) == before
    assert audit_problems(engine) == {}
    monkeypatch.setattr(ArchiveMover, "move", moved)
    again = archive_rounds(engine, PLAN, date(2027, 1, 1), NOW)
    assert [a.created for a in again.rounds] == [False, True]
    assert hot_rows(engine, s.second) == 0 and statements(engine, s) == before


def test_hot_charges_still_refuse_deletes(engine: Engine) -> None:
    s = build_settled(engine, members=10)
    archive_rounds(engine, PLAN, date(2026, 1, 15), NOW)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(f"DELETE FROM member_charges WHERE round_id = {s.second}"))
    assert hot_rows(engine, s.second) == len(s.charges[s.second])


def _refused(engine: Engine, now: datetime = NOW) -> list[str]:
    with pytest.raises(RuleViolation) as refused:
        archive_rounds(engine, PLAN, date(2027, 1, 1), now)
    return [f"{v.code}: {v.message}" for v in refused.value.violations]


def test_rounds_whose_money_is_not_settled_are_refused(engine: Engine) -> None:
    build(engine, "meituan-huzhu", PLAN, 30)
    box = Sandbox(engine)
    box.set(failure_bp=0, fail_members=frozenset())
    round_id = run(engine, PLAN, FIRST.isoformat()).round.id
    stubborn = charges_of(engine, round_id)[3][0]

    def nothing_archived() -> None:
        assert hot_rows(engine, round_id) == 31 - 1  # the claimant left when paid out
        with UnitOfWork(engine) as uow:
            assert ArchiveRepository(uow.conn).records() == []

    # The same year: the annual cap still reads its charges.
    assert _refused(engine, now=at("2026-06-01"))[0].startswith("archive-year-open: round pp")
    # Not collected at all, nor paid.
    message, unpaid = _refused(engine)
    assert message.startswith("collection-open: round pp 2026-01-11: collection is still open")
    assert "(huzhu collect)" in message
    assert unpaid == (
        "payouts-open: round pp 2026-01-11: 1 claim(s) of the round are not paid yet "
        "(huzhu payouts run)"
    )
    # Sent, not answered; the claim not paid either.
    box.set(fail_members=frozenset({stubborn}))
    collection.collect(engine, box, PLAN, FIRST, at("2026-01-15"))
    messages = _refused(engine)
    assert [m.split(":")[0] for m in messages] == ["collection-open", "payouts-open"]
    assert "wait for the gateway's answer" in messages[0]
    # Answered, paid, but one failed debit is still being retried.
    box.drain(at("2026-01-15"))
    with UnitOfWork(engine) as uow:
        payouts.run_payouts(uow, box(uow.conn), PLAN, FIRST, at("2026-01-15", 11))
        uow.commit()
    box.drain(at("2026-01-15", 11))
    (message,) = _refused(engine)
    assert message.startswith("collection-open:") and "1 failed debit(s)" in message
    nothing_archived()
    # Written off after the retry days: settled.
    for day in ("2026-01-16", "2026-01-17", "2026-01-18", "2026-01-19"):
        collection.retry(engine, box, PLAN, at(day))
        box.drain(at(day))
    charges = charges_of(engine, round_id)
    with UnitOfWork(engine) as uow:
        assert uow.merkle_trees.merkle(round_id) is None
    done = archive_rounds(engine, PLAN, date(2027, 1, 1), NOW)
    assert [(a.round_id, a.created) for a in done.rounds] == [(round_id, True)]
    assert hot_rows(engine, round_id) == 0
    # Its Merkle root was published by archiving it, so every charge can still be proved.
    with UnitOfWork(engine) as uow:
        merkle = uow.merkle_trees.merkle(round_id)
        assert merkle is not None and merkle.root == done.rounds[0].root
        for m, amount in charges:
            proof = prove(uow, round_id, m)
            assert verify_proof(proof) and proof.amount == amount


def test_prepaid_rounds_stay_hot(engine: Engine) -> None:
    build(engine, "qingsong-huzhu", PLAN, 10)
    run(engine, PLAN, "2026-01-07")
    (message,) = _refused(engine)
    assert message.startswith("archive-prepaid: round pp 2026-01-07: pp is prepaid")


def test_unknown_plan(engine: Engine) -> None:
    with pytest.raises(NotFound):
        archive_rounds(engine, "no-such-plan", date(2027, 1, 1), NOW)


def test_a_dropped_archive_table_leaves_the_record(postgres: Engine) -> None:
    """Only PostgreSQL archives a round into a table of its own, which an operator may dump and
    drop; SQLite keeps archived rows in one shared table."""
    engine = postgres
    s = build_settled(engine, members=10)
    archive_rounds(engine, PLAN, date(2027, 1, 1), NOW)
    member = next(m for m, _ in s.charges[s.second] if m in dict(s.charges[s.first]))
    with engine.begin() as conn:  # what the operator does after pg_dump -t
        conn.execute(text(f"DROP TABLE {archive_table(engine, s.first)}"))
    # The audit and verify vouch for it from its record, anchored to the published root.
    assert audit_problems(engine) == {}
    assert verify_problems(engine) == {}
    with UnitOfWork(engine) as uow:
        notes = [n for c in verify(uow).checks for n in c.notes]
        with pytest.raises(NotFound, match="has been dropped: restore it from its dump"):
            prove(uow, s.first, member)
        assert prove(uow, s.second, member).amount > 0
        mine = statement(uow, member, NOW)
    assert any(f"round:{s.first} is archived and its table was dropped" in n for n in notes)
    assert [line.round_id for line in mine.lines] == [s.second]
    assert any("charges in 1 archived round(s) are kept offline" in n for n in mine.notices)
    assert archive_rounds(engine, PLAN, date(2027, 1, 1), NOW).rounds[0].created is False
