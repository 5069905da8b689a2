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
from huzhu.storage.repositories.members.family import account_balances, family_order, payer_of
from huzhu.storage.repositories.members.repository import MembershipRepository
from huzhu.storage.repositories.money.charge_copy import copy_charges
from huzhu.storage.tables import member_charges, memberships, people, rounds


@dataclass(frozen=True)
class ChargeOrder:
    """What one round asks of every locked member."""

    round_id: int
    plan_id: str
    lock_at: datetime
    charge: Fen  # the share after the per-case cap; the same for everyone
    year_cap: Fen | None
    year: int
    # Whether the annual cap can bind for anyone this round. When it cannot (the usual case),
    # every locked member owes the same and no running total is read or written.
    capped: bool = False
    # The latest earlier round of this plan in the same year that wrote rows (None: this is the
    # first), and whether it stored each member's year_total.
    reference_round: int | None = None
    reference_lock: datetime | None = None
    reference_has_totals: bool = False
    # The round's headcount: on PostgreSQL a uniform round is copied in, and the copy must
    # account for exactly this many members (None: do not copy).
    headcount: int | None = None
    # A prepaid plan takes each charge from the member's balance and never below zero: a member
    # pays what the balance holds, up to the charge (the round's backstop pays the rest).
    prepaid: bool = False


@dataclass(frozen=True)
class ChargeResult:
    rows: int
    total: Fen
    year_max: Fen | None = None  # the highest year_total written (capped rounds only)
    written_by: str = "insert"  # "copy" when PostgreSQL's two-connection copy wrote them


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

    def _year_before(self, order: ChargeOrder) -> tuple[Any, Any]:
        """Each member's charges earlier this year in this plan: (expression, outer join)."""
        if order.reference_round is None:
            return literal(0), None
        year_rounds = select(rounds.c.id).where(
            rounds.c.plan_id == order.plan_id,
            rounds.c.announce_date >= date(order.year, 1, 1),
            rounds.c.announce_date < date(order.year + 1, 1, 1),
            rounds.c.id != order.round_id,
        )
        if not order.reference_has_totals:
            # The first round this year in which the cap can bind: sum the year once.
            so_far = (
                select(
                    member_charges.c.membership_id,
                    func.sum(member_charges.c.amount).label("total"),
                )
                .where(member_charges.c.round_id.in_(year_rounds.scalar_subquery()))
                .group_by(member_charges.c.membership_id)
                .subquery("so_far")
            )
            join = so_far.c.membership_id == memberships.c.id
            return func.coalesce(so_far.c.total, 0), (so_far, join)
        ref = member_charges.alias("ref")
        history = member_charges.alias("history")
        # Rare: locked now but not in the reference round (suspended then): sum their year.
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

    def _index(self, round_id: int) -> None:
        name = _partition(round_id)
        self.conn.execute(
            text(f"CREATE UNIQUE INDEX IF NOT EXISTS {name}_mid ON {name} (membership_id)")
        )

    def settle_in_for_bulk(self) -> None:
        """Session settings for a round's scans of every member, for this transaction only."""
        if self._postgres:
            # JIT compilation costs up to a second a statement and buys nothing on the plain
            # scans of a round (the headcount, the charges).
            self.conn.execute(text("SET LOCAL jit = off"))
            self.conn.execute(text("SET LOCAL work_mem = '256MB'"))

    def charge(self, order: ChargeOrder) -> ChargeResult:
        """Write every locked member's charge; returns how many rows and their total."""
        if order.charge <= 0:
            return ChargeResult(0, 0)
        target = self._target(order.round_id)
        locked = MembershipRepository(self.conn).locked_at(order.plan_id, order.lock_at)
        exact = order.capped or order.prepaid  # members may owe different amounts
        # The copy reads through a second connection on an exported snapshot, which PostgreSQL
        # cannot export from inside a savepoint (a preview's round): those take the insert.
        nested = self.conn.in_nested_transaction()
        if self._postgres and not exact and order.headcount is not None and not nested:
            name = _partition(order.round_id)
            rows = copy_charges(
                self.conn, name, order.round_id, order.charge, locked, order.headcount
            )
            if rows is not None:
                self._index(order.round_id)
                return ChargeResult(rows, rows * order.charge, written_by="copy")
            # Someone the copy could not see: start again with the plain insert.
            self.conn.execute(text(f"TRUNCATE {name}"))
        source: Any = memberships
        if not order.capped or order.year_cap is None:
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
            _in_family_order(order, source, locked, amount, year_total)
            if order.prepaid
            else select(memberships.c.id, literal(order.round_id), amount, year_total)
            .select_from(source)
            .where(locked)
        )
        statement = insert(target).from_select(
            ["membership_id", "round_id", "amount", "year_total"], query
        )
        year_max = None
        if exact and self._postgres:
            # Sum what is written as it is written, instead of reading the rows back.
            inserted = statement.returning(target.c.amount, target.c.year_total).cte("inserted")
            row = self.conn.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(inserted.c.amount), 0),
                    func.coalesce(func.max(inserted.c.year_total), 0),
                )
            ).one()
            rows, total, year_max = int(row[0]), int(row[1]), int(row[2])
            year_max = year_max if order.capped else None
        else:
            result = self.conn.execute(statement, execution_options={"preserve_rowcount": True})
            rows = int(result.rowcount)
            total = rows * order.charge
            if exact:  # SQLite has no INSERT inside WITH: read the round's rows back
                row = self.conn.execute(
                    select(
                        func.coalesce(func.sum(member_charges.c.amount), 0),
                        func.coalesce(func.max(member_charges.c.year_total), 0),
                    ).where(member_charges.c.round_id == order.round_id)
                ).one()
                total, year_max = int(row[0]), int(row[1]) if order.capped else None
        if self._postgres:
            name = _partition(order.round_id)
            self._index(order.round_id)
            if order.capped:
                # The next capped round joins this partition: give the planner statistics.
                self.conn.execute(text(f"ANALYZE {name}"))
        return ChargeResult(rows, total, year_max)


def _in_family_order(
    order: ChargeOrder, source: Any, locked: Any, amount: Any, year_total: Any
) -> Any:
    """Prepaid: each member pays what their account still holds after everyone before them in
    family order has paid in full, up to their charge (docs/books.md, "Family debit order")."""
    accounts = account_balances(order.plan_id)
    capped = order.capped and order.year_cap is not None
    owed = (
        select(
            memberships.c.id.label("mid"),
            amount.label("owed"),
            year_total.label("year_total"),
            (year_total - amount if capped else literal(0)).label("before"),
            payer_of().label("payer"),
            func.coalesce(
                func.sum(amount).over(
                    partition_by=payer_of(), order_by=family_order(), rows=(None, -1)
                ),
                0,
            ).label("ahead"),
        )
        .select_from(source.join(people, people.c.id == memberships.c.person_id))
        .where(locked)
        .subquery("owed")
    )
    left = func.coalesce(accounts.c.held, 0) - owed.c.ahead
    paid = case((left <= 0, literal(0)), (left < owed.c.owed, left), else_=owed.c.owed)
    total = owed.c.before + paid if capped else literal(None)
    return select(owed.c.mid, literal(order.round_id), paid, total).select_from(
        owed.outerjoin(accounts, accounts.c.payer == owed.c.payer)
    )
