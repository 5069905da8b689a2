"""Memberships: joining, leaving, the headcount at a lock, age-outs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, func, insert, literal, or_, select, update

from huzhu.domain.errors import Conflict, NotFound
from huzhu.domain.members import LeaveReason, Lifecycle, Membership, MembershipEvent
from huzhu.storage.tables import membership_events, memberships, people


def _membership(row: Row[Any]) -> Membership:
    return Membership(
        id=row.id,
        plan_id=row.plan_id,
        person_id=row.person_id,
        plan_version=row.plan_version,
        joined_at=row.joined_at,
        lifecycle=Lifecycle(row.lifecycle),
        exit_on=row.exit_on,
        left_at=row.left_at,
        leave_reason=LeaveReason(row.leave_reason) if row.leave_reason else None,
        suspended_at=row.suspended_at,
    )


class MembershipRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, m: Membership) -> int:
        result = self.conn.execute(
            insert(memberships).values(
                plan_id=m.plan_id,
                person_id=m.person_id,
                plan_version=m.plan_version,
                joined_at=m.joined_at,
                lifecycle=m.lifecycle.value,
                exit_on=m.exit_on,
            )
        )
        new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        self.add_event(new_id, MembershipEvent(None, m.lifecycle, "joined", m.joined_at))
        return new_id

    def add_event(self, membership_id: int, e: MembershipEvent) -> None:
        self.conn.execute(
            insert(membership_events).values(
                membership_id=membership_id,
                at=e.at,
                from_state=e.from_state.value if e.from_state else None,
                to_state=e.to_state.value,
                reason=e.reason,
            )
        )

    def get(self, membership_id: int, *, lock: bool = False) -> Membership:
        """The membership; `lock` holds its row until the transaction ends (FOR NO KEY UPDATE
        on PostgreSQL: racing changes of this membership wait, inserts referring to it do not).
        The claims workflow takes it before the claim's row, always in that order."""
        q = select(memberships).where(memberships.c.id == membership_id)
        if lock:
            q = q.with_for_update(key_share=True)
        row = self.conn.execute(q).first()
        if row is None:
            raise NotFound(
                f"no membership {membership_id}", code="unknown-membership", field="membership"
            )
        return _membership(row)

    def many(self, membership_ids: Sequence[int]) -> dict[int, Membership]:
        """Memberships by id, in one query (a page of claims' memberships)."""
        if not membership_ids:
            return {}
        rows = self.conn.execute(select(memberships).where(memberships.c.id.in_(membership_ids)))
        return {int(r.id): _membership(r) for r in rows}

    def live(self, plan_id: str, person_id: int) -> Membership | None:
        row = self.conn.execute(
            select(memberships).where(
                memberships.c.plan_id == plan_id,
                memberships.c.person_id == person_id,
                memberships.c.lifecycle != Lifecycle.LEFT.value,
            )
        ).first()
        return _membership(row) if row else None

    def paid_out(self, plan_id: str, person_ids: list[int]) -> set[int]:
        """Of `person_ids`, those whose cover in `plan_id` ended with a payout."""
        if not person_ids:
            return set()
        return set(
            self.conn.scalars(
                select(memberships.c.person_id).where(
                    memberships.c.plan_id == plan_id,
                    memberships.c.person_id.in_(person_ids),
                    memberships.c.leave_reason == LeaveReason.PAID_OUT.value,
                )
            )
        )

    def for_person(self, person_id: int) -> list[Membership]:
        rows = self.conn.execute(
            select(memberships)
            .where(memberships.c.person_id == person_id)
            .order_by(memberships.c.id)
        )
        return [_membership(r) for r in rows]

    def page(
        self,
        *,
        person_ids: Sequence[int] | None,
        plan_id: str | None,
        after_id: int,
        limit: int,
    ) -> list[Membership]:
        """Memberships in id order; `person_ids` None means everyone's."""
        q = select(memberships).where(memberships.c.id > after_id)
        if person_ids is not None:
            q = q.where(memberships.c.person_id.in_(person_ids))
        if plan_id is not None:
            q = q.where(memberships.c.plan_id == plan_id)
        rows = self.conn.execute(q.order_by(memberships.c.id).limit(limit))
        return [_membership(r) for r in rows]

    def ids_of_people(self, person_ids: Sequence[int]) -> list[int]:
        if not person_ids:
            return []
        return list(
            self.conn.scalars(
                select(memberships.c.id).where(memberships.c.person_id.in_(person_ids))
            )
        )

    def events(self, membership_id: int) -> list[MembershipEvent]:
        rows = self.conn.execute(
            select(membership_events)
            .where(membership_events.c.membership_id == membership_id)
            .order_by(membership_events.c.id)
        )
        return [
            MembershipEvent(
                Lifecycle(r.from_state) if r.from_state else None,
                Lifecycle(r.to_state),
                r.reason,
                r.at,
            )
            for r in rows
        ]

    def save_leave(self, m: Membership) -> None:
        """Write a leave; refused (409) if the membership has left meanwhile, so that a leave
        is recorded once even by a caller that did not lock the row."""
        assert m.id is not None
        done = self.conn.execute(
            update(memberships)
            .where(memberships.c.id == m.id, memberships.c.lifecycle != Lifecycle.LEFT.value)
            .values(
                lifecycle=m.lifecycle.value,
                left_at=m.left_at,
                leave_reason=m.leave_reason.value if m.leave_reason else None,
            )
        )
        if done.rowcount != 1:
            raise Conflict("this membership has already ended", code="membership-already-left")
        for e in m.events:
            self.add_event(m.id, e)

    def live_person_ids(self, plan_id: str, person_ids: Sequence[int]) -> set[int]:
        found: set[int] = set()
        for start in range(0, len(person_ids), 5000):
            found.update(
                self.conn.scalars(
                    select(memberships.c.person_id).where(
                        memberships.c.plan_id == plan_id,
                        memberships.c.lifecycle != Lifecycle.LEFT.value,
                        memberships.c.person_id.in_(person_ids[start : start + 5000]),
                    )
                )
            )
        return found

    def add_many(
        self, plan_id: str, version: int, joining: Sequence[tuple[int, date | None]], at: datetime
    ) -> None:
        """Join many people at one moment, with their 'joined' events, set-based."""
        if not joining:
            return
        self.conn.execute(
            insert(memberships),
            [
                {
                    "plan_id": plan_id,
                    "person_id": pid,
                    "plan_version": version,
                    "joined_at": at,
                    "lifecycle": Lifecycle.ACTIVE.value,
                    "exit_on": exit_on,
                }
                for pid, exit_on in joining
            ],
        )
        ids = [pid for pid, _ in joining]
        for start in range(0, len(ids), 5000):
            self.conn.execute(
                insert(membership_events).from_select(
                    ["membership_id", "at", "from_state", "to_state", "reason"],
                    select(
                        memberships.c.id,
                        memberships.c.joined_at,
                        literal(None),
                        memberships.c.lifecycle,
                        literal("joined"),
                    ).where(
                        memberships.c.plan_id == plan_id,
                        memberships.c.lifecycle == Lifecycle.ACTIVE.value,
                        memberships.c.joined_at == at,
                        memberships.c.person_id.in_(ids[start : start + 5000]),
                    ),
                )
            )

    def count_live(self, plan_id: str) -> int:
        return int(
            self.conn.scalar(
                select(func.count())
                .select_from(memberships)
                .where(
                    memberships.c.plan_id == plan_id,
                    memberships.c.lifecycle != Lifecycle.LEFT.value,
                )
            )
            or 0
        )

    def locked_at(self, plan_id: str, lock_at: datetime) -> Any:
        """The condition for members counted at a lock time: joined before it, not yet gone."""
        return and_(
            memberships.c.plan_id == plan_id,
            memberships.c.joined_at < lock_at,
            or_(memberships.c.left_at.is_(None), memberships.c.left_at > lock_at),
            or_(memberships.c.suspended_at.is_(None), memberships.c.suspended_at > lock_at),
        )

    def count_locked(self, plan_id: str, lock_at: datetime) -> int:
        return int(
            self.conn.scalar(
                select(func.count())
                .select_from(memberships)
                .where(self.locked_at(plan_id, lock_at))
            )
            or 0
        )

    def age_out(self, plan_id: str, day: date, at: datetime) -> int:
        """Everyone who has reached the plan's exit age by `day` leaves, set-based."""
        due = and_(
            memberships.c.plan_id == plan_id,
            memberships.c.lifecycle != Lifecycle.LEFT.value,
            memberships.c.exit_on <= day,
        )
        self.conn.execute(
            insert(membership_events).from_select(
                ["membership_id", "at", "from_state", "to_state", "reason"],
                select(
                    memberships.c.id,
                    literal(at, memberships.c.joined_at.type),
                    memberships.c.lifecycle,
                    literal(Lifecycle.LEFT.value),
                    literal(LeaveReason.AGE_OUT.value),
                ).where(due),
            )
        )
        result = self.conn.execute(
            update(memberships)
            .where(due)
            .values(
                lifecycle=Lifecycle.LEFT.value,
                left_at=at,
                leave_reason=LeaveReason.AGE_OUT.value,
            )
        )
        return int(result.rowcount)

    def roster(self, plan_id: str) -> list[tuple[int, date]]:
        """Live members with their birth dates, in id order (for simulations)."""
        rows = self.conn.execute(
            select(memberships.c.id, people.c.birth_date)
            .join(people, people.c.id == memberships.c.person_id)
            .where(
                memberships.c.plan_id == plan_id,
                memberships.c.lifecycle == Lifecycle.ACTIVE.value,
            )
            .order_by(memberships.c.id)
        )
        return [(r.id, r.birth_date) for r in rows]
