"""The console's read-only questions: counts for the dashboards, a name lookup, the gateway log.

Each is one indexed query or one aggregate; the console pages reach them through
`services.console`, never directly.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, case, func, select

from huzhu.domain.members import Person
from huzhu.storage.repositories.members.people import _person
from huzhu.storage.repositories.rounds.repository import RoundRecord, _record
from huzhu.storage.tables import claims, memberships, people, rounds
from huzhu.storage.tables_money import collection_batches as batches
from huzhu.storage.tables_money import gateway_events, reconciliation_issues


class ConsoleRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def people_named(self, name: str, limit: int) -> list[Person]:
        """People with exactly this name (an index on people.name answers it)."""
        rows = self.conn.execute(
            select(people).where(people.c.name == name).order_by(people.c.id).limit(limit)
        )
        return [_person(r) for r in rows]

    def recent_rounds(self, limit: int) -> dict[str, list[RoundRecord]]:
        """Each plan's latest `limit` rounds, newest first, every plan in one query (a plan
        without rounds is absent)."""
        newest = (
            func.row_number()
            .over(partition_by=rounds.c.plan_id, order_by=rounds.c.announce_date.desc())
            .label("newest")
        )
        ranked = select(rounds, newest).subquery()
        rows = self.conn.execute(
            select(ranked)
            .where(ranked.c.newest <= limit)
            .order_by(ranked.c.plan_id, ranked.c.announce_date.desc())
        )
        out: dict[str, list[RoundRecord]] = {}
        for r in rows:
            out.setdefault(r.plan_id, []).append(_record(r))
        return out

    def claims_by_state(self) -> dict[str, int]:
        rows = self.conn.execute(select(claims.c.state, func.count()).group_by(claims.c.state))
        return {str(r[0]): int(r[1]) for r in rows}

    def claims_by(self, what: str) -> list[tuple[str, int]]:
        """Claims counted by condition, age band (tens of years) or the claimant's province."""
        key: Any
        q = select()
        if what == "condition":
            key = claims.c.condition_code
            q = select(key, func.count()).select_from(claims)
        elif what == "age":
            key = (claims.c.age_at_diagnosis / 10) * 10
            q = select(key, func.count()).select_from(claims)
        else:
            key = func.coalesce(people.c.province_code, "--")
            q = select(key, func.count()).select_from(
                claims.join(memberships, memberships.c.id == claims.c.membership_id).join(
                    people, people.c.id == memberships.c.person_id
                )
            )
        rows = self.conn.execute(q.group_by(key).order_by(key))
        return [(str(r[0]), int(r[1])) for r in rows]

    def joins_and_leaves(self, since: datetime) -> list[tuple[date, int, int]]:
        """Per Beijing day since `since`: how many joined, how many left (any plan)."""
        joined = self._per_day(memberships.c.joined_at, since)
        left = self._per_day(memberships.c.left_at, since)
        days = sorted(set(joined) | set(left))
        return [(d, joined.get(d, 0), left.get(d, 0)) for d in days]

    def _per_day(self, column: Any, since: datetime) -> dict[date, int]:
        # Beijing has no daylight saving: +8 hours turns a UTC moment into its Beijing day.
        if self.conn.dialect.name == "postgresql":
            day = func.date(func.timezone("Asia/Shanghai", column))
        else:
            day = func.date(column, "+8 hours")
        rows = self.conn.execute(
            select(day, func.count()).where(column >= since).group_by(day).order_by(day)
        )
        out: dict[date, int] = {}
        for r in rows:
            d = r[0] if isinstance(r[0], date) else date.fromisoformat(str(r[0]))
            out[d] = int(r[1])
        return out

    def gateway_log(self, *, after_id: int, limit: int) -> list[Row[Any]]:
        q = select(gateway_events).order_by(gateway_events.c.id.desc())
        if after_id:
            q = q.where(gateway_events.c.id < after_id)
        return list(self.conn.execute(q.limit(limit)))

    def issues(self, *, limit: int) -> list[Row[Any]]:
        q = select(reconciliation_issues).order_by(reconciliation_issues.c.id.desc())
        return list(self.conn.execute(q.limit(limit)))

    def open_claims(self) -> int:
        done = ("rejected", "withdrawn", "shared", "paid", "approved")
        return int(
            self.conn.scalar(
                select(func.sum(case((claims.c.state.in_(done), 0), else_=1))).select_from(claims)
            )
            or 0
        )

    def collection_by_round(self, round_ids: list[int]) -> dict[int, tuple[int, int]]:
        """Per round: (amount sent in debit batches, amount collected by them)."""
        b = batches
        if not round_ids:
            return {}
        rows = self.conn.execute(
            select(b.c.round_id, func.sum(b.c.amount), func.sum(b.c.collected))
            .where(b.c.round_id.in_(round_ids), b.c.kind == "debit")
            .group_by(b.c.round_id)
        )
        return {int(r[0]): (int(r[1] or 0), int(r[2] or 0)) for r in rows}
