"""Archived rounds: their records, where their charges are, and reading them from there.

A round's charges are read from `source(round_id)`: `member_charges` while the round is hot, its
archive table once it is archived (see `huzhu.storage.tables_archive`). On PostgreSQL the operator
may dump and drop an archived round's table; the round is then *offline*: its record still says
what its charges added up to, but they cannot be read until the table is restored.

Moving a round's charges is in `archive_move`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    union_all,
)

from huzhu.domain.errors import NotFound
from huzhu.domain.money import Fen
from huzhu.storage.repositories.rounds.repository import StatementLine
from huzhu.storage.tables import claims, member_charges, memberships, rounds
from huzhu.storage.tables_archive import (
    ARCHIVE_SCHEMA,
    archive_partition,
    archived_rounds,
    member_charges_archive,
)
from huzhu.storage.tables_money import collection_batches as batches
from huzhu.storage.tables_money import collection_failures as failures

OPEN_FAILURES = ("outstanding", "retrying", "writing-off", "waiving")


@dataclass(frozen=True)
class ArchiveRecord:
    round_id: int
    plan_id: str
    archived_at: datetime
    charge_rows: int
    amount_total: Fen
    paid_total: Fen
    merkle_root: str
    chunk_size: int
    stored_in: str | None  # None: the round never had a charges table


def _record(row: Any) -> ArchiveRecord:
    return ArchiveRecord(
        int(row.round_id), row.plan_id, row.archived_at, int(row.charge_rows),
        int(row.amount_total), int(row.paid_total), row.merkle_root, int(row.chunk_size),
        row.stored_in,
    )  # fmt: skip


def _sum(col: Any) -> Any:
    return func.coalesce(func.sum(col), 0)


def archive_tables(conn: Connection) -> set[str]:
    """The names of the tables in PostgreSQL's archive schema."""
    q = text(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = :schema AND c.relkind = 'r'"
    )
    return set(conn.scalars(q, {"schema": ARCHIVE_SCHEMA}))


def _amount_of(round_id: int, membership_id: int) -> Any:
    """One member's charge in an archived round's PostgreSQL table, labelled with the round."""
    t = archive_partition(round_id)
    return select(literal(round_id).label("round_id"), t.c.amount).where(
        t.c.membership_id == membership_id
    )


class ArchiveRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @property
    def _postgres(self) -> bool:
        return self.conn.dialect.name == "postgresql"

    # -- the records --------------------------------------------------------------------------

    def record(self, round_id: int) -> ArchiveRecord | None:
        q = select(archived_rounds).where(archived_rounds.c.round_id == round_id)
        row = self.conn.execute(q).first()
        return _record(row) if row else None

    def records(self, plan_id: str | None = None) -> list[ArchiveRecord]:
        q = select(archived_rounds).order_by(archived_rounds.c.round_id)
        if plan_id is not None:
            q = q.where(archived_rounds.c.plan_id == plan_id)
        return [_record(r) for r in self.conn.execute(q)]

    def add(self, record: ArchiveRecord) -> None:
        self.conn.execute(insert(archived_rounds).values(**record.__dict__))

    def offline(self, records: list[ArchiveRecord]) -> set[int]:
        """The archived rounds whose charges table the operator has dropped."""
        if not self._postgres or not records:
            return set()
        present = archive_tables(self.conn)
        return {
            r.round_id
            for r in records
            if r.stored_in is not None and f"member_charges_r{r.round_id}" not in present
        }

    # -- reading charges wherever they are ----------------------------------------------------

    def source(self, round_id: int) -> Any | None:
        """The table holding a round's charges; None when an archived round has none at all.

        Raises NotFound (code charges-offline) when they were archived and then dropped."""
        record = self.record(round_id)
        if record is None:
            return member_charges
        if record.stored_in is None:
            return None
        if not self._postgres:
            return member_charges_archive
        if self.offline([record]):
            raise NotFound(
                f"round {round_id}'s charges were archived to {record.stored_in} and that table "
                "has been dropped: restore it from its dump to read them",
                code="charges-offline",
                field="round",
            )
        return archive_partition(round_id)

    def charges_after(
        self, round_id: int, after_membership_id: int | None, limit: int
    ) -> list[tuple[int, int, int]]:
        """(round_id, membership_id, amount) of the next `limit` charges in membership_id order."""
        c = self.source(round_id)
        if c is None:
            return []
        q = select(c.c.round_id, c.c.membership_id, c.c.amount).where(c.c.round_id == round_id)
        if after_membership_id is not None:
            q = q.where(c.c.membership_id > after_membership_id)
        rows = self.conn.execute(q.order_by(c.c.membership_id).limit(limit))
        return [(int(r[0]), int(r[1]), int(r[2])) for r in rows]

    def charge_of(self, round_id: int, membership_id: int) -> Fen | None:
        """One member's charge in a round, wherever the round's charges are kept."""
        c = self.source(round_id)
        if c is None:
            return None
        found = self.conn.scalar(
            select(c.c.amount).where(c.c.round_id == round_id, c.c.membership_id == membership_id)
        )
        return None if found is None else int(found)

    def charges_between(self, round_id: int, first: int, last: int) -> list[tuple[int, int, int]]:
        c = self.source(round_id)
        if c is None:
            return []
        rows = self.conn.execute(
            select(c.c.round_id, c.c.membership_id, c.c.amount)
            .where(c.c.round_id == round_id, c.c.membership_id.between(first, last))
            .order_by(c.c.membership_id)
        )
        return [(int(r[0]), int(r[1]), int(r[2])) for r in rows]

    def totals(self, round_id: int) -> tuple[int, Fen, Fen]:
        """(rows, their amounts, what settled debit batches collected of them) of a round.

        A charge counts as collected as in the audit: a settled debit batch of its round covers
        the member and the member has no exception other than a successful retry."""
        c = self.source(round_id)
        if c is None:
            return 0, 0, 0
        rows, amount = self.conn.execute(
            select(func.count(), _sum(c.c.amount)).where(c.c.round_id == round_id)
        ).one()
        covered = and_(
            batches.c.round_id == round_id,
            batches.c.kind == "debit",
            batches.c.status == "settled",
            c.c.membership_id.between(batches.c.first_membership_id, batches.c.last_membership_id),
        )
        still_open = exists().where(
            failures.c.round_id == round_id,
            failures.c.membership_id == c.c.membership_id,
            failures.c.status != "collected",
        )
        paid = self.conn.scalar(
            select(_sum(c.c.amount))
            .select_from(c.join(batches, covered))
            .where(c.c.round_id == round_id, ~still_open)
        )
        return int(rows), int(amount), int(paid or 0)

    def statement_lines(self, membership_id: int) -> tuple[list[StatementLine], list[int]]:
        """A member's charges in archived rounds since joining, and the offline rounds' ids."""
        since_joining = memberships.join(
            rounds,
            and_(
                rounds.c.plan_id == memberships.c.plan_id,
                rounds.c.lock_at > memberships.c.joined_at,
            ),
        ).join(archived_rounds, archived_rounds.c.round_id == rounds.c.id)
        info = rounds.c.id, rounds.c.plan_id, rounds.c.announce_date, rounds.c.cases
        mine = memberships.c.id == membership_id
        if not self._postgres:
            a = member_charges_archive
            found = self.conn.execute(
                select(*info, a.c.amount)
                .select_from(
                    since_joining.join(
                        a, and_(a.c.round_id == rounds.c.id, a.c.membership_id == membership_id)
                    )
                )
                .where(mine)
            )
            return [StatementLine(r[0], r[1], r[2], int(r[4]), int(r[3])) for r in found], []
        archived = list(
            self.conn.execute(
                select(rounds.c.id, rounds.c.announce_date, rounds.c.cases, archived_rounds)
                .select_from(since_joining)
                .where(mine)
            )
        )
        offline = self.offline([_record(r) for r in archived])
        parts = [
            _amount_of(r.id, membership_id)
            for r in archived
            if r.stored_in is not None and r.id not in offline
        ]
        amounts: dict[int, int] = {}
        if parts:
            amounts = {int(r[0]): int(r[1]) for r in self.conn.execute(union_all(*parts))}
        lines = [
            StatementLine(r.id, r.plan_id, r.announce_date, amounts[r.id], int(r.cases))
            for r in archived
            if r.id in amounts
        ]
        return lines, sorted(offline)

    # -- what still moves money in a round ----------------------------------------------------

    def open_money(self, round_id: int) -> tuple[int, int, int]:
        """(debit batches not yet answered, failed debits not yet closed, claims not yet paid)."""
        waiting = self.conn.scalar(
            select(func.count()).where(
                batches.c.round_id == round_id,
                batches.c.kind.in_(("debit", "retry")),
                batches.c.status != "settled",
            )
        )
        failing = self.conn.scalar(
            select(func.count()).where(
                failures.c.round_id == round_id, failures.c.status.in_(OPEN_FAILURES)
            )
        )
        unpaid = self.conn.scalar(
            select(func.count()).where(claims.c.round_id == round_id, claims.c.state != "paid")
        )
        return int(waiting or 0), int(failing or 0), int(unpaid or 0)
