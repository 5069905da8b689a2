"""A plan's closing and its operator-paid periods (storage.tables_lifecycle)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, and_, exists, func, insert, or_, select

from huzhu.domain.money import Fen
from huzhu.storage.repositories.rounds.repository import charges_of_members
from huzhu.storage.tables import member_charges, member_credits, memberships, rounds
from huzhu.storage.tables_lifecycle import operator_paid_periods, plan_closures
from huzhu.storage.tables_money import collection_batches as batches
from huzhu.storage.tables_money import collection_failures


@dataclass(frozen=True)
class Closure:
    plan_id: str
    notice_date: date
    end_date: date
    refund_past_shares: bool
    closed_at: datetime


@dataclass(frozen=True)
class OperatorPaid:
    id: int
    plan_id: str
    first_date: date
    last_date: date | None
    reason: str
    note: str


class LifecycleRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def closure(self, plan_id: str) -> Closure | None:
        row = self.conn.execute(
            select(plan_closures).where(plan_closures.c.plan_id == plan_id)
        ).first()
        if row is None:
            return None
        return Closure(
            row.plan_id, row.notice_date, row.end_date, bool(row.refund_past_shares), row.closed_at
        )

    def add_closure(self, closure: Closure) -> None:
        self.conn.execute(
            insert(plan_closures).values(
                plan_id=closure.plan_id,
                notice_date=closure.notice_date,
                end_date=closure.end_date,
                refund_past_shares=closure.refund_past_shares,
                closed_at=closure.closed_at,
            )
        )

    def add_operator_paid(
        self,
        plan_id: str,
        first: date,
        last: date | None,
        reason: str,
        note: str,
        now: datetime,
    ) -> int:
        result = self.conn.execute(
            insert(operator_paid_periods)
            .values(plan_id=plan_id, first_date=first, last_date=last, reason=reason, note=note,
                    created_at=now)
            .returning(operator_paid_periods.c.id)
        )  # fmt: skip
        return int(result.scalar_one())

    def operator_paid(self, plan_id: str, announce_date: date) -> OperatorPaid | None:
        """The operator-paid period covering a round's announcement date, if any."""
        p = operator_paid_periods
        row = self.conn.execute(
            select(p)
            .where(
                p.c.plan_id == plan_id,
                p.c.first_date <= announce_date,
                or_(p.c.last_date.is_(None), p.c.last_date >= announce_date),
            )
            .order_by(p.c.id)
            .limit(1)
        ).first()
        if row is None:
            return None
        return OperatorPaid(
            row.id, row.plan_id, row.first_date, row.last_date, row.reason, row.note
        )

    def periods(self, plan_id: str) -> list[OperatorPaid]:
        p = operator_paid_periods
        rows = self.conn.execute(select(p).where(p.c.plan_id == plan_id).order_by(p.c.id))
        return [
            OperatorPaid(r.id, r.plan_id, r.first_date, r.last_date, r.reason, r.note) for r in rows
        ]

    def balances(self, plan_id: str) -> dict[int, Fen]:
        """Each of the plan's memberships with money held for it: {id: credits - charges > 0}."""
        credited = (
            select(
                member_credits.c.membership_id.label("mid"),
                func.sum(member_credits.c.amount).label("amount"),
            )
            .group_by(member_credits.c.membership_id)
            .subquery()
        )
        charged = (
            select(
                member_charges.c.membership_id.label("mid"),
                func.sum(member_charges.c.amount).label("amount"),
            )
            .group_by(member_charges.c.membership_id)
            .subquery()
        )
        held = func.coalesce(credited.c.amount, 0) - func.coalesce(charged.c.amount, 0)
        source = memberships.outerjoin(credited, credited.c.mid == memberships.c.id).outerjoin(
            charged, charged.c.mid == memberships.c.id
        )
        rows = self.conn.execute(
            select(memberships.c.id, held)
            .select_from(source)
            .where(memberships.c.plan_id == plan_id, held > 0)
        )
        return {int(m): int(b) for m, b in rows}

    def paid_shares(self, plan_id: str, *, prepaid: bool) -> dict[int, Fen]:
        """What each member of the plan paid over every round: {membership id: total > 0}.

        A prepaid charge is paid when it is charged (taken from the balance). A post-paid one
        once a settled debit batch of its round covers the member, less what that debit failed
        to collect (a failure not since collected): as the audit counts them.
        """
        c = member_charges
        total = func.sum(c.c.amount)
        q = (
            select(memberships.c.id, total)
            .select_from(charges_of_members())
            .where(rounds.c.plan_id == plan_id)
            .group_by(memberships.c.id)
        )
        if not prepaid:
            q = q.where(
                exists().where(
                    batches.c.round_id == c.c.round_id,
                    batches.c.kind == "debit",
                    batches.c.status == "settled",
                    c.c.membership_id.between(
                        batches.c.first_membership_id, batches.c.last_membership_id
                    ),
                )
            )
        paid = {int(m): int(t) for m, t in self.conn.execute(q)}
        f = collection_failures
        unpaid = self.conn.execute(
            select(f.c.membership_id, func.sum(f.c.amount))
            .where(f.c.plan_id == plan_id, f.c.status != "collected")
            .group_by(f.c.membership_id)
        )
        for mid, amount in unpaid:
            paid[int(mid)] = paid.get(int(mid), 0) - int(amount)
        return {m: t for m, t in sorted(paid.items()) if t > 0}

    def operator_paid_rounds(
        self, plan_id: str, joined_at: datetime, left_at: datetime | None
    ) -> list[tuple[int, date, int, Fen, str]]:
        """Rounds of the plan that the operator paid while the member was in it (counted at the
        lock): (round id, announcement date, cases, share, reason), oldest first. A round is
        operator-paid when it ran inside a period marked before it ran (services.rounds)."""
        p = operator_paid_periods
        in_period = and_(
            p.c.plan_id == rounds.c.plan_id,
            p.c.first_date <= rounds.c.announce_date,
            or_(p.c.last_date.is_(None), p.c.last_date >= rounds.c.announce_date),
            p.c.created_at <= rounds.c.created_at,
        )
        q = (
            select(rounds.c.id, rounds.c.announce_date, rounds.c.cases, rounds.c.share,
                   func.min(p.c.reason))
            .select_from(rounds.join(p, in_period))
            .where(rounds.c.plan_id == plan_id, rounds.c.lock_at > joined_at)
            .group_by(rounds.c.id, rounds.c.announce_date, rounds.c.cases, rounds.c.share)
            .order_by(rounds.c.announce_date)
        )  # fmt: skip
        if left_at is not None:
            q = q.where(rounds.c.lock_at <= left_at)
        rows = self.conn.execute(q)
        return [(int(r[0]), r[1], int(r[2]), int(r[3] or 0), str(r[4])) for r in rows]
