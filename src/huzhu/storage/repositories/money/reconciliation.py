"""Reconciliation issues as the console lists and resolves them: open ones first, newest first,
and a resolution written only onto an issue that is still open (compare and set on the row)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from huzhu.storage.tables_money import reconciliation_issues as issues


class ReconciliationRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, issue_id: int) -> Row[Any] | None:
        return self.conn.execute(select(issues).where(issues.c.id == issue_id)).first()

    def listed(self, *, resolved: bool, limit: int) -> list[Row[Any]]:
        done = issues.c.resolved_at.is_not(None) if resolved else issues.c.resolved_at.is_(None)
        q = select(issues).where(done).order_by(issues.c.id.desc()).limit(limit)
        return list(self.conn.execute(q))

    def resolve(self, issue_id: int, by: int | None, note: str, at: datetime) -> bool:
        """Mark the issue resolved unless it already is; True when this call resolved it. Two
        operators resolving at once: the database lets one UPDATE match, the other finds none."""
        done = self.conn.execute(
            update(issues)
            .where(issues.c.id == issue_id, issues.c.resolved_at.is_(None))
            .values(resolved_at=at, resolved_by=by, resolution=note)
        )
        return done.rowcount == 1
