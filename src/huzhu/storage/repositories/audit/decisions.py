"""Read-only queries with which the audit checks that each decision was taken once: one payout
per person and plan, claim histories that chain, no live membership with a leaving date, one
public-log entry per decision."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Row, and_, func, or_, select

from huzhu.domain.claims import PROMISED_STATES
from huzhu.domain.members import Lifecycle
from huzhu.storage.tables import claims, memberships
from huzhu.storage.tables_access import audit_log
from huzhu.storage.tables_claims import claim_events
from huzhu.storage.tables_record import public_log

PROMISED = [s.value for s in PROMISED_STATES]


class DecisionAuditRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def people_paid_twice(self) -> list[Row[Any]]:
        """(person, plan, how many, claim ids) with more than one claim paid or promised."""
        ids = func.min(claims.c.id), func.max(claims.c.id)
        return list(
            self.conn.execute(
                select(
                    memberships.c.person_id,
                    claims.c.plan_id,
                    func.count().label("n"),
                    ids[0].label("first"),
                    ids[1].label("last"),
                )
                .join(memberships, memberships.c.id == claims.c.membership_id)
                .where(claims.c.state.in_(PROMISED))
                .group_by(memberships.c.person_id, claims.c.plan_id)
                .having(func.count() > 1)
                .order_by(memberships.c.person_id)
            )
        )

    def live_with_leaving_date(self) -> list[Row[Any]]:
        return list(
            self.conn.execute(
                select(memberships.c.id, memberships.c.lifecycle, memberships.c.left_at)
                .where(
                    memberships.c.lifecycle != Lifecycle.LEFT.value,
                    memberships.c.left_at.is_not(None),
                )
                .order_by(memberships.c.id)
            )
        )

    def state_changes(self, batch: int = 10_000) -> Iterator[Any]:
        """Every event of a claim's history that moved it (or created it), by claim, in order."""
        after = 0
        while True:
            rows = list(
                self.conn.execute(
                    select(
                        claim_events.c.id,
                        claim_events.c.claim_id,
                        claim_events.c.action,
                        claim_events.c.from_state,
                        claim_events.c.to_state,
                    )
                    .where(
                        claim_events.c.id > after,
                        (claim_events.c.from_state.is_(None))
                        | (claim_events.c.from_state != claim_events.c.to_state),
                    )
                    .order_by(claim_events.c.id)
                    .limit(batch)
                )
            )
            if not rows:
                return
            yield from rows
            after = rows[-1].id

    def overrides(self, action: str) -> dict[str, list[Any]]:
        """Each subject's recorded payout overrides (their details), in order."""
        found: dict[str, list[Any]] = {}
        rows = self.conn.execute(
            select(audit_log.c.subject, audit_log.c.details)
            .where(audit_log.c.action == action)
            .order_by(audit_log.c.id)
        )
        for r in rows:
            found.setdefault(r.subject, []).append(r.details)
        return found

    def log_entries(self, kind: str) -> Iterator[Any]:
        rows = self.conn.execute(
            select(public_log.c.seq, public_log.c.subject, public_log.c.payload)
            .where(public_log.c.kind == kind)
            .order_by(public_log.c.seq)
        )
        yield from rows

    def announcements(self) -> dict[int, int]:
        """How many times each claim was announced, by its history: an announcement for objections,
        or an approval made final at once (which still puts its card in the public log). The
        approval that ends an objection window comes from `announced` and adds no card."""
        e = claim_events.c
        final_at_once = and_(e.action == "approved", func.coalesce(e.from_state, "") != "announced")
        rows = self.conn.execute(
            select(e.claim_id, func.count())
            .where(or_(e.action == "announced", final_at_once))
            .group_by(e.claim_id)
        )
        return {int(r[0]): int(r[1]) for r in rows}
