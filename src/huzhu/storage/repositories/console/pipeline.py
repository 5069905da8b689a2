"""The waiting-period pipeline: live members of a plan counted by the Beijing day they joined,
for the days whose waiting periods may still be running (one grouped, indexed range scan)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from huzhu.domain.members import Lifecycle
from huzhu.storage.tables import memberships


class PipelineRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def joined_per_day(self, plan_id: str, since: datetime) -> dict[date, int]:
        m = memberships
        day: Any
        # Beijing has no daylight saving: +8 hours turns a UTC moment into its Beijing day.
        if self.conn.dialect.name == "postgresql":
            day = func.date(func.timezone("Asia/Shanghai", m.c.joined_at))
        else:
            day = func.date(m.c.joined_at, "+8 hours")
        rows = self.conn.execute(
            select(day, func.count())
            .where(
                m.c.plan_id == plan_id,
                m.c.joined_at >= since,
                m.c.lifecycle != Lifecycle.LEFT.value,
            )
            .group_by(day)
        )
        out: dict[date, int] = {}
        for r in rows:
            d = r[0] if isinstance(r[0], date) else date.fromisoformat(str(r[0]))
            out[d] = int(r[1])
        return out
