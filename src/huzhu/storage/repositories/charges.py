"""Members' charges: written set-based, one statement per round, whatever the headcount.

On PostgreSQL each round gets its own partition of `member_charges`, created empty, filled by one
INSERT ... SELECT, then given its unique index (building an index once is several times cheaper than
maintaining it row by row). Everything happens inside the round's transaction, so a crash leaves no
trace of a half-charged round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    case,
    column,
    func,
    insert,
    literal,
    select,
    table,
    text,
)

from huzhu.domain.money import Fen
from huzhu.storage.repositories.members import MembershipRepository
from huzhu.storage.tables import member_charges, memberships, rounds


@dataclass(frozen=True)
class ChargeOrder:
    """What one round asks of every locked member."""

    round_id: int
    plan_id: str
    lock_at: datetime
    charge: Fen  # the share after the per-case cap; the same for everyone
    year_cap: Fen | None
    year: int
    # The latest earlier round of this plan in the same year that wrote rows: its year_total is
    # each member's running total (None: this is the first such round of the year).
    reference_round: int | None
    reference_lock: datetime | None


@dataclass(frozen=True)
class ChargeResult:
    rows: int
    total: Fen


def _partition(round_id: int) -> str:
    return f"member_charges_r{int(round_id)}"


class ChargeRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @property
    def _postgres(self) -> bool:
        return self.conn.dialect.name == "postgresql"

    def _target(self, round_id: int) -> Any:
        if not self._postgres:
            return member_charges
        name = _partition(round_id)
        self.conn.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF member_charges "
                f"FOR VALUES IN ({int(round_id)})"
            )
        )
        return table(
            name,
            column("membership_id"),
            column("round_id"),
            column("amount"),
            column("year_total"),
        )

    def _year_before(self, order: ChargeOrder) -> Any:
        """Each member's charges earlier this year in this plan, from the reference round."""
        if order.reference_round is None:
            return literal(0), None
        ref = member_charges.alias("ref")
        year_rounds = select(rounds.c.id).where(
            rounds.c.plan_id == order.plan_id,
            rounds.c.announce_date >= date(order.year, 1, 1),
            rounds.c.announce_date < date(order.year + 1, 1, 1),
        )
        history = member_charges.alias("history")
        # Rare: locked now, but not in the reference round (suspended then, or rows of a
        # plan version without the cap). Only then is the member's history summed.
        full = (
            select(func.coalesce(func.sum(history.c.amount), 0))
            .where(
                history.c.membership_id == memberships.c.id,
                history.c.round_id.in_(year_rounds.scalar_subquery()),
            )
            .scalar_subquery()
        )
        before = case(
            (ref.c.year_total.is_not(None), ref.c.year_total),
            (memberships.c.joined_at >= order.reference_lock, literal(0)),
            else_=full,
        )
        join = and_(
            ref.c.round_id == order.reference_round, ref.c.membership_id == memberships.c.id
        )
        return before, (ref, join)

    def charge(self, order: ChargeOrder) -> ChargeResult:
        """Write every locked member's charge; returns how many rows and their total."""
        if order.charge <= 0:
            return ChargeResult(0, 0)
        target = self._target(order.round_id)
        locked = MembershipRepository(self.conn).locked_at(order.plan_id, order.lock_at)
        source: Any = memberships
        if order.year_cap is None:
            amount: Any = literal(order.charge)
            year_total: Any = literal(None)
        else:
            before, ref = self._year_before(order)
            if ref is not None:
                source = memberships.outerjoin(ref[0], ref[1])
            room = literal(order.year_cap) - before
            amount = case(
                (room >= order.charge, literal(order.charge)),
                (room > 0, room),
                else_=literal(0),
            )
            year_total = before + amount
        query = (
            select(memberships.c.id, literal(order.round_id), amount, year_total)
            .select_from(source)
            .where(locked)
            .order_by(memberships.c.id)
        )
        result = self.conn.execute(
            insert(target).from_select(
                ["membership_id", "round_id", "amount", "year_total"], query
            ),
            execution_options={"preserve_rowcount": True},
        )
        rows = int(result.rowcount)
        if self._postgres:
            name = _partition(order.round_id)
            self.conn.execute(
                text(f"CREATE UNIQUE INDEX IF NOT EXISTS {name}_mid ON {name} (membership_id)")
            )
        if order.year_cap is None:
            return ChargeResult(rows, rows * order.charge)  # uniform: no need to read back
        total = self.conn.scalar(
            select(func.coalesce(func.sum(member_charges.c.amount), 0)).where(
                member_charges.c.round_id == order.round_id
            )
        )
        return ChargeResult(rows, int(total or 0))
