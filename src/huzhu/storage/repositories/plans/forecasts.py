"""What a forecast reads of a plan: its live members in cells and the flows between rounds."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, and_, func, select

from huzhu.domain.members import LeaveReason, Lifecycle
from huzhu.storage.tables import memberships, people


class ForecastRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def population(self, plan_id: str) -> list[tuple[date, str, datetime, int]]:
        """Live members counted by (birth date, sex, joining moment)."""
        q = (
            select(people.c.birth_date, people.c.sex, memberships.c.joined_at, func.count())
            .join(people, people.c.id == memberships.c.person_id)
            .where(
                memberships.c.plan_id == plan_id,
                memberships.c.lifecycle != Lifecycle.LEFT.value,
            )
            .group_by(people.c.birth_date, people.c.sex, memberships.c.joined_at)
        )
        return [(r[0], r[1], r[2], int(r[3])) for r in self.conn.execute(q)]

    def flows(self, plan_id: str, after: datetime, until: datetime) -> tuple[int, int]:
        """(joined, left by choice or non-payment) in (after, until]."""
        joined = self.conn.scalar(
            select(func.count())
            .select_from(memberships)
            .where(
                memberships.c.plan_id == plan_id,
                memberships.c.joined_at > after,
                memberships.c.joined_at <= until,
            )
        )
        left = self.conn.scalar(
            select(func.count())
            .select_from(memberships)
            .where(
                and_(
                    memberships.c.plan_id == plan_id,
                    memberships.c.left_at > after,
                    memberships.c.left_at <= until,
                    memberships.c.leave_reason.in_(
                        [LeaveReason.VOLUNTARY.value, LeaveReason.NON_PAYMENT.value]
                    ),
                )
            )
        )
        return int(joined or 0), int(left or 0)
