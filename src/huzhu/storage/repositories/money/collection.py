"""Collections, payouts and gateway callbacks: per batch and per failure, never per paid member.

Who paid is derived: a member's charge of a round is collected when a settled debit batch of the
round covers their membership id and they have no open collection exception (a failure not yet
collected, written off, or waived; their queries are in `collection_exceptions`). Every
per-member write here is one set-based statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, case, exists, func, insert, select, update

from huzhu.domain.money import Fen
from huzhu.storage.tables import member_charges
from huzhu.storage.tables import memberships as ms
from huzhu.storage.tables_money import collection_batches as batches
from huzhu.storage.tables_money import collection_failures as failures

OPEN = ("outstanding", "retrying", "written-off", "waived")  # a charge not collected


@dataclass(frozen=True)
class NewBatch:
    round_id: int | None
    plan_id: str
    batch_no: int
    kind: str
    first: int
    last: int
    items: int
    amount: Fen
    ref: str


def _sum(col: Any) -> Any:
    return func.coalesce(func.sum(col), 0)


def _chunks(ids: Sequence[int], size: int = 5000) -> list[list[int]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


def excepted(round_id: Any) -> Any:
    """The member's charge of the round has a collection exception: not the batches' to collect."""
    return exists().where(
        failures.c.round_id == round_id,
        failures.c.membership_id == member_charges.c.membership_id,
    )


class CollectionRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- batches ------------------------------------------------------------------------------

    def add_batch(
        self, b: NewBatch, now: datetime, *, status: str = "submitted", **values: Any
    ) -> int:
        result = self.conn.execute(
            insert(batches).values(
                round_id=b.round_id, plan_id=b.plan_id, batch_no=b.batch_no, kind=b.kind,
                first_membership_id=b.first, last_membership_id=b.last, items=b.items,
                amount=b.amount, status=status, gateway_ref=b.ref, submitted_at=now,
                **{"collected": 0, "failed_items": 0, "failed_amount": 0, **values},
            )
        )  # fmt: skip
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def batch_by_ref(self, ref: str) -> Row[Any] | None:
        return self.conn.execute(select(batches).where(batches.c.gateway_ref == ref)).first()

    def batches(self, round_id: int) -> list[Row[Any]]:
        q = select(batches).where(batches.c.round_id == round_id).order_by(batches.c.batch_no)
        return list(self.conn.execute(q))

    def last_batch(self, round_id: int, kind: str | None = None) -> Row[Any] | None:
        q = select(batches).where(batches.c.round_id == round_id)
        if kind is not None:
            q = q.where(batches.c.kind == kind)
        return self.conn.execute(q.order_by(batches.c.batch_no.desc()).limit(1)).first()

    def settle_batch(self, batch_id: int, at: datetime, **values: Any) -> bool:
        """Mark a submitted batch settled; False when another callback got there first."""
        result = self.conn.execute(
            update(batches)
            .where(batches.c.id == batch_id, batches.c.status == "submitted")
            .values(status="settled", settled_at=at, **values)
        )
        return result.rowcount == 1

    def set_batch_transaction(self, batch_id: int, txn_id: int) -> None:
        q = update(batches).where(batches.c.id == batch_id).values(transaction_id=txn_id)
        self.conn.execute(q)

    def round_progress(self, round_id: int) -> tuple[Fen, Fen, int]:
        """(amount sent in debit batches, amount waived, debit batches not yet settled)."""
        unsettled = _sum(case((batches.c.status != "settled", 1), else_=0))
        sent, waiting = self.conn.execute(
            select(_sum(batches.c.amount), unsettled).where(
                batches.c.round_id == round_id, batches.c.kind == "debit"
            )
        ).one()
        is_waived = and_(failures.c.round_id == round_id, failures.c.status == "waived")
        waived = int(self.conn.scalar(select(_sum(failures.c.amount)).where(is_waived)) or 0)
        return int(sent), waived, int(waiting)

    # -- the members of a batch ---------------------------------------------------------------

    def next_debits(self, round_id: int, after: int, limit: int) -> list[tuple[int, Fen]]:
        """The next members owed for, in membership order, skipping the waived."""
        rows = self.conn.execute(
            select(member_charges.c.membership_id, member_charges.c.amount)
            .where(member_charges.c.round_id == round_id, member_charges.c.membership_id > after,
                   member_charges.c.amount > 0, ~excepted(round_id))
            .order_by(member_charges.c.membership_id)
            .limit(limit)
        )  # fmt: skip
        return [(int(r[0]), int(r[1])) for r in rows]

    def owed_in_batch(self, batch: Row[Any], items: Sequence[tuple[int, Fen]]) -> int:
        """How many of these (member, amount) pairs the batch asked for."""
        wanted = dict(items)
        found = 0
        for chunk in _chunks(list(wanted)):
            if batch.kind == "retry":
                q = select(failures.c.membership_id, failures.c.amount).where(
                    failures.c.retry_batch_id == batch.id,
                    failures.c.status == "retrying",
                    failures.c.membership_id.in_(chunk),
                )
            else:
                lo, hi = batch.first_membership_id, batch.last_membership_id
                q = select(member_charges.c.membership_id, member_charges.c.amount).where(
                    member_charges.c.round_id == batch.round_id,
                    member_charges.c.membership_id.between(lo, hi),
                    member_charges.c.membership_id.in_(chunk),
                    ~excepted(batch.round_id),
                )
            found += sum(1 for m, a in self.conn.execute(q) if wanted.get(int(m)) == int(a))
        return found

    def collected_of(self, membership_id: int, charges: Sequence[tuple[int, Fen]]) -> Fen:
        """What the gateway collected of these (round id, amount) charges of one member.

        Works from charges the caller has already read, so it asks only the batches and the
        failures (two small index lookups), never the charges table again.
        """
        rounds_charged = [round_id for round_id, amount in charges if amount]
        if not rounds_charged:
            return 0
        covered = set(
            self.conn.scalars(
                select(batches.c.round_id).where(
                    batches.c.round_id.in_(rounds_charged),
                    batches.c.kind == "debit",
                    batches.c.status == "settled",
                    batches.c.first_membership_id <= membership_id,
                    batches.c.last_membership_id >= membership_id,
                )
            )
        )
        still_open = set(
            self.conn.scalars(
                select(failures.c.round_id).where(
                    failures.c.round_id.in_(rounds_charged),
                    failures.c.membership_id == membership_id,
                    failures.c.status.in_(OPEN),
                )
            )
        )
        return sum(a for r, a in charges if r in covered and r not in still_open)

    def charged_members(self, round_id: int, limit: int) -> list[Row[Any]]:
        """(membership id, person id, amount) of members charged in a round who have not left."""
        q = (
            select(ms.c.id, ms.c.person_id, member_charges.c.amount)
            .join(ms, ms.c.id == member_charges.c.membership_id)
            .where(member_charges.c.round_id == round_id, member_charges.c.amount > 0,
                   ms.c.left_at.is_(None))
            .order_by(ms.c.id)
            .limit(limit)
        )  # fmt: skip
        return list(self.conn.execute(q))

    def _probe(self, round_id: Any, membership_id: Any) -> Any:
        """The debit batch with the greatest first id not above the member's: the only one that
        can cover them (one index probe on round, kind and first id)."""
        b = batches.alias("probe")
        return (
            select(b.c.id)
            .where(b.c.round_id == round_id, b.c.kind == "debit",
                   b.c.first_membership_id <= membership_id)
            .order_by(b.c.first_membership_id.desc())
            .limit(1)
        )  # fmt: skip

    def batch_covering(self, round_id: int, membership_id: int) -> Row[Any] | None:
        """The debit batch whose range may hold the member (check its last id)."""
        q = select(batches).where(
            batches.c.id == self._probe(round_id, membership_id).scalar_subquery()
        )
        return self.conn.execute(q).first()
