"""Collection exceptions: a member's charge the batches did not collect (a failed debit, a leaver's
charge waived), retried, written off or waived set-based, never per member. One being written off
or waived passes through a transient status ('writing-off', 'waiving') inside one transaction, so
the set that is credited is exactly the set that was totalled.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, func, insert, literal, or_, select, update

from huzhu.domain.members import LeaveReason, Lifecycle
from huzhu.domain.money import Fen
from huzhu.storage.repositories.money.collection import _chunks, _sum, excepted
from huzhu.storage.tables import member_charges, member_credits, membership_events
from huzhu.storage.tables import memberships as ms
from huzhu.storage.tables_money import collection_failures as failures

FAILURE_COLUMNS = ["round_id", "membership_id", "plan_id", "amount", "reason", "attempts",
                   "first_failed_at", "status", "closed_at"]  # fmt: skip


class CollectionExceptionRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def waive_leavers(
        self, round_id: int, plan_id: str, lock_at: datetime, now: datetime
    ) -> tuple[int, Fen]:
        """Set aside the charges of members who left after the lock and by now: (count, total)."""
        source = (
            select(
                member_charges.c.round_id, member_charges.c.membership_id, literal(plan_id),
                member_charges.c.amount, literal("left-before-collection"), literal(0),
                literal(now, failures.c.first_failed_at.type), literal("waiving"),
                literal(now, failures.c.closed_at.type),
            )
            .join(ms, ms.c.id == member_charges.c.membership_id)
            .where(member_charges.c.round_id == round_id, member_charges.c.amount > 0,
                   ms.c.left_at > lock_at, ms.c.left_at <= now, ~excepted(round_id))
        )  # fmt: skip
        count = self.conn.execute(insert(failures).from_select(FAILURE_COLUMNS, source)).rowcount
        waiving = and_(failures.c.round_id == round_id, failures.c.status == "waiving")
        return int(count), self._total(waiving)

    def credit_waived(self, round_id: int, txn_id: int, now: datetime) -> None:
        pending = and_(failures.c.round_id == round_id, failures.c.status == "waiving")
        self._credit(pending, txn_id, "waived", now)
        self.conn.execute(update(failures).where(pending).values(status="waived"))

    def add_failures(
        self, round_id: int, plan_id: str, failed: Sequence[tuple[int, Fen, str]], at: datetime
    ) -> None:
        rows = [
            {"round_id": round_id, "membership_id": m, "plan_id": plan_id, "amount": a,
             "reason": r[:60], "attempts": 1, "first_failed_at": at, "status": "outstanding"}
            for m, a, r in failed
        ]  # fmt: skip
        if rows:
            self.conn.execute(insert(failures), rows)

    def settle_retry(self, batch_id: int, failed_ids: Sequence[int], at: datetime) -> None:
        """Failed again: outstanding with one more attempt; the others are now collected."""
        mine = failures.c.retry_batch_id == batch_id
        for chunk in _chunks(failed_ids):
            self.conn.execute(
                update(failures)
                .where(mine, failures.c.membership_id.in_(chunk))
                .values(status="outstanding", attempts=failures.c.attempts + 1)
            )
        self.conn.execute(
            update(failures)
            .where(mine, failures.c.status == "retrying")
            .values(status="collected", closed_at=at)
        )

    def outstanding_groups(self, plan_id: str) -> list[Row[Any]]:
        """A plan's open failures grouped by round, first failure and attempts."""
        f = failures
        return list(
            self.conn.execute(
                select(f.c.round_id, f.c.first_failed_at, f.c.attempts, func.count().label("n"))
                .where(f.c.plan_id == plan_id, f.c.status == "outstanding")
                .group_by(f.c.round_id, f.c.first_failed_at, f.c.attempts)
                .order_by(f.c.round_id, f.c.first_failed_at)
            )
        )

    def _group(self, round_id: int, groups: Sequence[tuple[datetime, int]]) -> Any:
        one_of = [
            and_(failures.c.first_failed_at == t, failures.c.attempts == n) for t, n in groups
        ]
        return and_(
            failures.c.round_id == round_id, failures.c.status == "outstanding", or_(*one_of)
        )

    def retry_items(
        self, round_id: int, groups: Sequence[tuple[datetime, int]], limit: int
    ) -> list[tuple[int, Fen]]:
        rows = self.conn.execute(
            select(failures.c.membership_id, failures.c.amount)
            .where(self._group(round_id, groups))
            .order_by(failures.c.membership_id)
            .limit(limit)
        )
        return [(int(r[0]), int(r[1])) for r in rows]

    def mark_retrying(self, round_id: int, ids: Sequence[int], batch_id: int) -> None:
        for chunk in _chunks(ids):
            self.conn.execute(
                update(failures)
                .where(failures.c.round_id == round_id, failures.c.membership_id.in_(chunk))
                .values(status="retrying", retry_batch_id=batch_id)
            )

    def start_write_off(self, round_id: int, groups: Sequence[tuple[datetime, int]]) -> Fen:
        """Set aside the failures due for write-off; returns their total."""
        due = self._group(round_id, groups)
        self.conn.execute(update(failures).where(due).values(status="writing-off"))
        return self._total(
            and_(failures.c.round_id == round_id, failures.c.status == "writing-off")
        )

    def write_off(self, round_id: int, txn_id: int, now: datetime) -> int:
        """Credit each member set aside what is written off; end their membership (non-payment)."""
        due = and_(failures.c.round_id == round_id, failures.c.status == "writing-off")
        self._credit(due, txn_id, "write-off", now)
        live = and_(
            ms.c.id.in_(select(failures.c.membership_id).where(due)),
            ms.c.lifecycle != Lifecycle.LEFT.value,
        )
        left, reason = Lifecycle.LEFT.value, LeaveReason.NON_PAYMENT.value
        self.conn.execute(
            insert(membership_events).from_select(
                ["membership_id", "at", "from_state", "to_state", "reason"],
                select(ms.c.id, literal(now, membership_events.c.at.type), ms.c.lifecycle,
                       literal(left), literal(reason)).where(live),
            )
        )  # fmt: skip
        self.conn.execute(
            update(ms).where(live).values(lifecycle=left, left_at=now, leave_reason=reason)
        )
        done = update(failures).where(due).values(status="written-off", closed_at=now)
        return int(self.conn.execute(done).rowcount)

    def _total(self, cond: Any) -> Fen:
        return int(self.conn.scalar(select(_sum(failures.c.amount)).where(cond)) or 0)

    def _credit(self, cond: Any, txn_id: int, kind: str, now: datetime) -> None:
        rows = select(
            failures.c.membership_id, failures.c.amount, literal(txn_id), literal(kind),
            literal(now, member_credits.c.at.type),
        ).where(cond)  # fmt: skip
        cols = ["membership_id", "amount", "transaction_id", "kind", "at"]
        self.conn.execute(insert(member_credits).from_select(cols, rows))

    def failures(self, round_id: int) -> list[Row[Any]]:
        q = select(failures).where(failures.c.round_id == round_id)
        return list(self.conn.execute(q.order_by(failures.c.membership_id)))

    def exception_of(self, round_id: int, membership_id: int) -> str | None:
        return self.conn.scalar(
            select(failures.c.status).where(
                failures.c.round_id == round_id, failures.c.membership_id == membership_id
            )
        )
