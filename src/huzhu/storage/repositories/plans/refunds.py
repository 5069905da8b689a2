"""A closing plan's refunds, set-based (services.plans.refunds).

Each member's refund is one row of one query, and the books and the transfer records of every
member are written with one statement each, so a plan of a million members is refunded without a
query per member.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, func, insert, literal, select, update

from huzhu.domain.money import Fen
from huzhu.storage.tables import member_charges, member_credits, memberships, rounds
from huzhu.storage.tables_money import collection_batches as batches
from huzhu.storage.tables_money import collection_failures

REFUND = "refund"


@dataclass(frozen=True)
class RefundDue:
    membership_id: int
    balance: Fen  # held for the member (prepaid), refunded from member-funds
    shares: Fen  # past shares paid back by the operator


@dataclass(frozen=True)
class FailedRefund:
    batch_id: int
    membership_id: int
    amount: Fen
    attempt: int  # the failed transfer's attempt (1 for the first)


def _sum_by_member(table: Any, plan_id: str) -> Any:
    """{membership: sum(amount)} over the plan's memberships, as a subquery."""
    return (
        select(table.c.membership_id.label("mid"), func.sum(table.c.amount).label("amount"))
        .join(memberships, memberships.c.id == table.c.membership_id)
        .where(memberships.c.plan_id == plan_id)
        .group_by(table.c.membership_id)
        .subquery()
    )


def _paid_shares(plan_id: str, *, prepaid: bool) -> Any:
    """What each member paid over every round (as LifecycleRepository.paid_shares counts it)."""
    c = member_charges
    q = (
        select(memberships.c.id.label("mid"), func.sum(c.c.amount).label("amount"))
        .select_from(
            memberships.join(
                rounds,
                and_(
                    rounds.c.plan_id == memberships.c.plan_id,
                    rounds.c.lock_at > memberships.c.joined_at,
                ),
            ).join(c, and_(c.c.round_id == rounds.c.id, c.c.membership_id == memberships.c.id))
        )
        .where(memberships.c.plan_id == plan_id)
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
    return q.subquery()


class RefundRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def due(self, plan_id: str, *, prepaid: bool, past_shares: bool) -> list[RefundDue]:
        """Every member's refund, in membership order, from one query: the balance held (prepaid
        plans) and, with `past_shares`, the shares paid less debits never collected."""
        m = memberships
        source: Any = m
        balance: Any = literal(0)
        shares: Any = literal(0)
        if prepaid:
            credited = _sum_by_member(member_credits, plan_id)
            charged = _sum_by_member(member_charges, plan_id)
            source = source.outerjoin(credited, credited.c.mid == m.c.id).outerjoin(
                charged, charged.c.mid == m.c.id
            )
            held = func.coalesce(credited.c.amount, 0) - func.coalesce(charged.c.amount, 0)
            balance = func.greatest(held, 0) if self._pg else func.max(held, 0)
        if past_shares:
            paid = _paid_shares(plan_id, prepaid=prepaid)
            f = collection_failures
            unpaid = (
                select(f.c.membership_id.label("mid"), func.sum(f.c.amount).label("amount"))
                .where(f.c.plan_id == plan_id, f.c.status != "collected")
                .group_by(f.c.membership_id)
                .subquery()
            )
            source = source.outerjoin(paid, paid.c.mid == m.c.id).outerjoin(
                unpaid, unpaid.c.mid == m.c.id
            )
            net = func.coalesce(paid.c.amount, 0) - func.coalesce(unpaid.c.amount, 0)
            shares = func.greatest(net, 0) if self._pg else func.max(net, 0)
        if not prepaid and not past_shares:
            return []
        q = (
            select(m.c.id, balance.label("balance"), shares.label("shares"))
            .select_from(source)
            .where(m.c.plan_id == plan_id, balance + shares > 0)
            .order_by(m.c.id)
        )
        return [RefundDue(int(r[0]), int(r[1]), int(r[2])) for r in self.conn.execute(q)]

    @property
    def _pg(self) -> bool:
        return self.conn.dialect.name == "postgresql"

    def book(
        self, plan_id: str, txn_id: int, items: Sequence[tuple[int, Fen, Fen, str, int]],
        now: datetime,
    ) -> None:  # fmt: skip
        """Record transfers sent: (membership, balance taken, amount, ref, attempt) each. The
        balance leaves the member's funds; the transfer is a `refund` instruction row."""
        credits = [
            {"membership_id": mid, "transaction_id": txn_id, "amount": -taken, "kind": REFUND,
             "at": now}
            for mid, taken, _, _, _ in items if taken
        ]  # fmt: skip
        if credits:
            self.conn.execute(insert(member_credits), credits)
        rows = [
            {"round_id": None, "plan_id": plan_id, "batch_no": attempt, "kind": REFUND,
             "first_membership_id": mid, "last_membership_id": mid, "items": 1, "amount": amount,
             "status": "submitted", "gateway_ref": ref, "submitted_at": now, "collected": 0,
             "failed_items": 0, "failed_amount": 0, "transaction_id": txn_id}
            for mid, _, amount, ref, attempt in items
        ]  # fmt: skip
        if rows:
            self.conn.execute(insert(batches), rows)

    def failed(self, plan_id: str) -> list[FailedRefund]:
        """Refund transfers the gateway reported failed and not yet sent again."""
        b = batches
        rows = self.conn.execute(
            select(b.c.id, b.c.first_membership_id, b.c.amount, b.c.batch_no)
            .where(b.c.plan_id == plan_id, b.c.kind == REFUND, b.c.status == "failed")
            .order_by(b.c.first_membership_id)
        )
        return [FailedRefund(int(r[0]), int(r[1]), int(r[2]), max(int(r[3]), 1)) for r in rows]

    def mark(self, batch_id: int, was: str, now: datetime, status: str) -> bool:
        """Move a refund transfer on from `was`; False when another run or callback did first."""
        result = self.conn.execute(
            update(batches)
            .where(batches.c.id == batch_id, batches.c.status == was)
            .values(status=status, settled_at=now)
        )
        return result.rowcount == 1
