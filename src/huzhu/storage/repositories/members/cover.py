"""Suspending one member's cover: a prepaid member has none until the deposit arrives."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, literal, select, update

from huzhu.domain.members import Lifecycle, MembershipEvent
from huzhu.storage.repositories.members.repository import MembershipRepository
from huzhu.storage.tables import membership_events, memberships


class CoverRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def suspend(self, membership_id: int, reason: str, now: datetime) -> None:
        self.conn.execute(
            update(memberships)
            .where(memberships.c.id == membership_id)
            .values(lifecycle=Lifecycle.SUSPENDED.value, suspended_at=now)
        )
        MembershipRepository(self.conn).add_event(
            membership_id, MembershipEvent(Lifecycle.ACTIVE, Lifecycle.SUSPENDED, reason, now)
        )

    def suspend_joined(
        self, plan_id: str, person_ids: list[int], reason: str, now: datetime
    ) -> None:
        """Suspend, set-based, the memberships these people took in the plan at `now`."""
        for start in range(0, len(person_ids), 5000):
            part = person_ids[start : start + 5000]
            joined = (
                select(memberships.c.id)
                .where(
                    memberships.c.plan_id == plan_id,
                    memberships.c.person_id.in_(part),
                    memberships.c.joined_at == now,
                    memberships.c.lifecycle == Lifecycle.ACTIVE.value,
                )
                .subquery()
            )
            self.conn.execute(
                insert(membership_events).from_select(
                    ["membership_id", "at", "from_state", "to_state", "reason"],
                    select(joined.c.id, literal(now, membership_events.c.at.type),
                           literal(Lifecycle.ACTIVE.value), literal(Lifecycle.SUSPENDED.value),
                           literal(reason)),
                )
            )  # fmt: skip
            self.conn.execute(
                update(memberships)
                .where(
                    memberships.c.plan_id == plan_id,
                    memberships.c.person_id.in_(part),
                    memberships.c.joined_at == now,
                    memberships.c.lifecycle == Lifecycle.ACTIVE.value,
                )
                .values(lifecycle=Lifecycle.SUSPENDED.value, suspended_at=now)
            )
