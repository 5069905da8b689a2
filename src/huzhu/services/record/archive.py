"""Archiving old rounds: their charges leave the hot `member_charges` table and stay readable.

A year of 48 rounds for 100 million members is ~360 GB on PostgreSQL (75 bytes a member-round,
bench/README.md). Archiving keeps that the ceiling: a settled round of a past year is moved out of
`member_charges` and its indexes, and every reader (statements, proofs, `huzhu audit`, `huzhu
verify`) finds it in the archive.

- **PostgreSQL**: the round's partition is detached and moved whole to the `huzhu_archive` schema
  (`ALTER TABLE member_charges DETACH PARTITION`, `ALTER TABLE ... SET SCHEMA`): no row is copied
  however large the round, the table keeps its unique index and gets back an append-only trigger,
  and the operator can `pg_dump -t huzhu_archive.member_charges_r<id>` it and drop it.
- **SQLite**: the rows move to `member_charges_archive`, one table of the same shape and key for
  every archived round, in the round's transaction. The simplest honest design: it saves no disk
  (an SQLite plan is small, and the file does not shrink without VACUUM), but archived rounds then
  behave the same on both databases: gone from `member_charges`, read from the archive, checked by
  the audit against their record. A per-round table would only add names to SQLite's schema.

Each archived round is recorded once (`archived_rounds`, append-only) with its row count, the sum
of its amounts, what debit batches collected of it and the Merkle root of its charges, checked
against the round and its published root when it is archived. `huzhu audit` checks the archive
against that record; once the operator has dropped an archived table the record is what remains,
itself anchored to the round's published figures and Merkle root.

What may be archived: rounds announced in an earlier calendar year than now (a round of this year
is still read for the annual cap), of a post-paid plan (a prepaid balance is read from every charge
a member ever had), whose money is settled: collection sent in full and answered, no failed debit
still open (each is collected, written off or waived), and every claim of the round paid.

Each round is archived in its own transaction, so a crash leaves every round archived or not; a
round already archived is left alone, so running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine

from huzhu.domain.errors import Conflict, NotFound, RuleViolation, Violation
from huzhu.domain.merkle import root_of
from huzhu.domain.money import Fen, format_yuan
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plan_schedule import CollectionMode
from huzhu.services.money.collection import is_complete
from huzhu.services.progress import Progress, silent
from huzhu.services.record.merkle_proofs import publish_round_proofs, stream_chunks
from huzhu.storage.repositories.record.archive import ArchiveRecord, ArchiveRepository
from huzhu.storage.repositories.record.archive_move import ArchiveMover
from huzhu.storage.repositories.rounds.repository import RoundRecord
from huzhu.storage.uow import UnitOfWork

MAX_ROUNDS = 100_000  # rounds one command looks at (two a month is 24 a year)


@dataclass(frozen=True)
class ArchivedRound:
    round_id: int
    announce_date: date
    rows: int
    amount: Fen
    root: str | None  # None in a dry run (computed when archived)
    stored_in: str | None
    created: bool  # False: it was archived before, nothing changed


@dataclass(frozen=True)
class ArchiveRun:
    plan_id: str
    rounds: list[ArchivedRound]
    dry_run: bool


def _name(record: RoundRecord) -> str:
    return f"round {record.plan_id} {record.announce_date}"


def refusals(uow: UnitOfWork, record: RoundRecord, now: datetime) -> list[Violation]:
    """Why a round may not be archived yet (nothing: it may)."""
    name = _name(record)
    if record.announce_date.year >= local_date(now).year:
        return [
            Violation(
                "archive-year-open",
                f"{name}: its calendar year is not over; the annual cap reads this year's "
                "charges until it is",
                "before",
            )
        ]
    plan = uow.plans.get(record.plan_id, record.announce_date)
    if plan.collection.mode is CollectionMode.PREPAID:
        return [
            Violation(
                "archive-prepaid",
                f"{name}: {record.plan_id} is prepaid, and a prepaid balance is read from every "
                "charge a member ever had: its rounds stay in member_charges",
                "plan",
            )
        ]
    found: list[Violation] = []
    waiting, failing, unpaid = ArchiveRepository(uow.conn).open_money(record.id)
    if not is_complete(uow, record):
        found.append(
            Violation(
                "collection-open",
                f"{name}: collection is still open: not every charge has been sent for debit "
                "(huzhu collect)",
                "before",
            )
        )
    if waiting:
        found.append(
            Violation(
                "collection-open",
                f"{name}: collection is still open: {waiting} debit batch(es) wait for the "
                "gateway's answer (huzhu gateway pump)",
                "before",
            )
        )
    if failing:
        found.append(
            Violation(
                "collection-open",
                f"{name}: collection is still open: {failing} failed debit(s) are still being "
                "retried (huzhu collect retry, until collected or written off)",
                "before",
            )
        )
    if unpaid:
        found.append(
            Violation(
                "payouts-open",
                f"{name}: {unpaid} claim(s) of the round are not paid yet (huzhu payouts run)",
                "before",
            )
        )
    return found


def _done(record: RoundRecord, archived: ArchiveRecord) -> ArchivedRound:
    return ArchivedRound(
        record.id, record.announce_date, archived.charge_rows, archived.amount_total,
        archived.merkle_root, archived.stored_in, created=False,
    )  # fmt: skip


def archive_round(uow: UnitOfWork, round_id: int, now: datetime) -> ArchivedRound:
    """Archive one settled round inside the caller's transaction. Safe to repeat."""
    archive, mover = ArchiveRepository(uow.conn), ArchiveMover(uow.conn)
    record = uow.rounds.get(round_id) if mover.lock_round(round_id) else None
    if record is None:
        raise NotFound(f"no round {round_id}", code="unknown-round", field="round")
    existing = archive.record(round_id)
    if existing is not None:
        return _done(record, existing)
    refused = refusals(uow, record, now)
    if refused:
        raise RuleViolation(refused)
    # Check everything before moving anything (on PostgreSQL the move locks member_charges).
    rows, amount, paid = archive.totals(round_id)
    if (rows, amount) != (record.charge_rows, record.figures.collected):
        raise Conflict(
            f"{_name(record)}: its charges count {rows} summing to {amount}, the round says "
            f"{record.charge_rows} summing to {record.figures.collected}: run huzhu audit",
            code="archive-mismatch",
        )
    published = uow.merkle_trees.merkle(round_id)
    if published is None:  # computed from the charges now: published and checked in one pass
        publish_round_proofs(uow, round_id, now)
        published = uow.merkle_trees.merkle(round_id)
        assert published is not None
        root, leaves = published.root, published.leaves
    else:
        chunks = list(stream_chunks(uow, round_id, published.chunk_size))
        root = root_of([bytes.fromhex(c.root) for c, _ in chunks]).hex()
        leaves = sum(n for _, n in chunks)
        if (root, leaves) != (published.root, published.leaves):
            raise Conflict(
                f"{_name(record)}: its charges no longer match the published Merkle root "
                f"{published.root[:12]}: run huzhu verify",
                code="archive-mismatch",
            )
    if leaves != rows:
        raise Conflict(
            f"{_name(record)}: its Merkle root covers {leaves} charges, it has {rows}",
            code="archive-mismatch",
        )
    stored_in = mover.destination(round_id)
    entry = ArchiveRecord(
        round_id, record.plan_id, now.astimezone(UTC), rows, amount, paid, root,
        published.chunk_size, stored_in,
    )  # fmt: skip
    archive.add(entry)
    mover.move(round_id)
    return ArchivedRound(record.id, record.announce_date, rows, amount, root, stored_in, True)


def archive_rounds(
    engine: Engine,
    plan_id: str,
    before: date,
    now: datetime,
    *,
    dry_run: bool = False,
    progress: Progress = silent,
) -> ArchiveRun:
    """Archive every round of a plan announced before `before`, one transaction per round.

    Refuses, writing nothing, when any round that would be archived is not settled yet. Reports
    the rounds archived so far to `progress` ("rounds archived")."""
    with UnitOfWork(engine) as uow:
        uow.plans.get(plan_id)
        archive = ArchiveRepository(uow.conn)
        done = {a.round_id: a for a in archive.records(plan_id)}
        candidates = list(reversed(uow.rounds.recent(plan_id, limit=MAX_ROUNDS, before=before)))
        todo = [r for r in candidates if r.id not in done]
        refused = [v for r in todo for v in refusals(uow, r, now)]
    if refused:
        raise RuleViolation(refused)
    results = [_done(r, done[r.id]) for r in candidates if r.id in done]
    for r in todo:
        if dry_run:
            results.append(
                ArchivedRound(r.id, r.announce_date, r.charge_rows, r.figures.collected, None,
                              None, created=True)
            )  # fmt: skip
            continue
        with UnitOfWork(engine) as uow:
            results.append(archive_round(uow, r.id, now))
            uow.commit()
        progress("rounds archived", sum(1 for a in results if a.created), len(todo))
    results.sort(key=lambda a: (a.announce_date, a.round_id))
    return ArchiveRun(plan_id, results, dry_run)


def check_archives(uow: UnitOfWork, records: list[ArchiveRecord]) -> list[str]:
    """Every archived round against its record: the round's figures, its published Merkle root,
    and (while its table is there) the archived charges themselves, recounted and rehashed."""
    archive = ArchiveRepository(uow.conn)
    offline = archive.offline(records)
    problems: list[str] = []
    for a in records:
        record = uow.rounds.get(a.round_id)
        name = _name(record) if record else f"round {a.round_id}"
        said = f"{a.charge_rows} charges summing to {format_yuan(a.amount_total)} yuan"
        if record is None:
            problems.append(f"{name} (archived): the round is gone from the rounds table")
            continue
        if (a.charge_rows, a.amount_total) != (record.charge_rows, record.figures.collected):
            problems.append(
                f"{name} (archived): archived {said}, the round says {record.charge_rows} "
                f"summing to {format_yuan(record.figures.collected)} yuan"
            )
        published = uow.merkle_trees.merkle(a.round_id)
        if published is None or (published.root, published.leaves) != (
            a.merkle_root,
            a.charge_rows,
        ):
            problems.append(
                f"{name} (archived): archived with Merkle root {a.merkle_root[:12]}, the "
                f"published root is {published.root[:12] if published else 'gone'}"
            )
        if a.round_id in offline:
            continue  # dropped by the operator: the record is all that is left to check
        rows, amount, paid = archive.totals(a.round_id)
        if (rows, amount, paid) != (a.charge_rows, a.amount_total, a.paid_total):
            problems.append(
                f"{name} (archived): the archive now holds {rows} charges summing to "
                f"{format_yuan(amount)} yuan ({format_yuan(paid)} collected), archived {said} "
                f"({format_yuan(a.paid_total)} collected)"
            )
        chunks = stream_chunks(uow, a.round_id, a.chunk_size)
        root = root_of([bytes.fromhex(c.root) for c, _ in chunks]).hex()
        if root != a.merkle_root:
            problems.append(
                f"{name} (archived): a charge in {a.stored_in} has changed: its Merkle root is "
                f"now {root[:12]}, archived {a.merkle_root[:12]}"
            )
    return problems
