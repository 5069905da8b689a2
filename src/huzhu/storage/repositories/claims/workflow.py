"""The claims workflow: deadlines and assignment, the claim's history, and the deadline queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from huzhu.domain.claims import ClaimState, Workflow
from huzhu.storage.repositories.claims.repository import public_card_select
from huzhu.storage.tables import claims, memberships, people
from huzhu.storage.tables_claims import claim_events, claim_workflow


@dataclass(frozen=True)
class ClaimEvent:
    id: int
    claim_id: int
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    details: dict[str, Any]


def _workflow(row: Row[Any]) -> Workflow:
    return Workflow(
        claim_id=row.claim_id,
        assignee_account_id=row.assignee_account_id,
        documents_due=row.documents_due,
        documents_note=row.documents_note,
        window_ends_at=row.window_ends_at,
        appeal_until=row.appeal_until,
        final_at=row.final_at,
        jury_decided=bool(row.jury_decided),
    )


class WorkflowRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, claim_id: int) -> Workflow:
        """The claim's workflow row; a claim that has none yet gets an empty one."""
        row = self.conn.execute(
            select(claim_workflow).where(claim_workflow.c.claim_id == claim_id)
        ).first()
        return _workflow(row) if row else Workflow(claim_id=claim_id)

    def save(self, wf: Workflow) -> None:
        values = {
            "assignee_account_id": wf.assignee_account_id,
            "documents_due": wf.documents_due,
            "documents_note": wf.documents_note,
            "window_ends_at": wf.window_ends_at,
            "appeal_until": wf.appeal_until,
            "final_at": wf.final_at,
            "jury_decided": wf.jury_decided,
        }
        done = self.conn.execute(
            update(claim_workflow).where(claim_workflow.c.claim_id == wf.claim_id).values(**values)
        )
        if done.rowcount == 0:
            self.conn.execute(insert(claim_workflow).values(claim_id=wf.claim_id, **values))

    # --- history --------------------------------------------------------------------------

    def add_event(
        self,
        claim_id: int,
        at: datetime,
        actor: str,
        action: str,
        from_state: ClaimState | None,
        to_state: ClaimState | None,
        details: dict[str, Any],
    ) -> None:
        self.conn.execute(
            insert(claim_events).values(
                claim_id=claim_id,
                at=at,
                actor=actor,
                action=action,
                from_state=from_state.value if from_state else None,
                to_state=to_state.value if to_state else None,
                details=details,
            )
        )

    def events(self, claim_id: int) -> list[ClaimEvent]:
        rows = self.conn.execute(
            select(claim_events)
            .where(claim_events.c.claim_id == claim_id)
            .order_by(claim_events.c.id)
        )
        return [
            ClaimEvent(
                r.id, r.claim_id, r.at, r.actor, r.action, r.from_state, r.to_state, r.details
            )
            for r in rows
        ]

    # --- deadlines ------------------------------------------------------------------------

    def _in_state(self, state: ClaimState, plan_id: str | None) -> Any:
        q = (
            select(claims.c.id)
            .join(claim_workflow, claim_workflow.c.claim_id == claims.c.id)
            .where(claims.c.state == state.value)
        )
        return q.where(claims.c.plan_id == plan_id) if plan_id is not None else q

    def windows_closed(self, plan_id: str | None, until: datetime) -> list[int]:
        """Announced claims whose objection window closed at or before `until`."""
        q = self._in_state(ClaimState.ANNOUNCED, plan_id).where(
            claim_workflow.c.window_ends_at <= until
        )
        return list(self.conn.scalars(q.order_by(claims.c.id)))

    def documents_overdue(self, plan_id: str | None, now: datetime) -> list[int]:
        q = self._in_state(ClaimState.DOCUMENTS_REQUESTED, plan_id).where(
            claim_workflow.c.documents_due <= now
        )
        return list(self.conn.scalars(q.order_by(claims.c.id)))

    def assigned_to(self, claim_id: int, account_id: int) -> bool:
        return self.get(claim_id).assignee_account_id == account_id

    # --- the public announcement ----------------------------------------------------------

    def announced(self, plan_id: str | None, now: datetime, limit: int, after_id: int) -> list[Any]:
        """Cases on public announcement now, with what their cards show."""
        q = (
            select(
                claims.c.id,
                claims.c.plan_id,
                claims.c.condition_code,
                claims.c.age_at_diagnosis,
                claims.c.payout,
                claims.c.diagnosis_date,
                memberships.c.joined_at,
                people.c.name,
                people.c.sex,
                people.c.province_code,
                claim_workflow.c.window_ends_at,
            )
            .join(claim_workflow, claim_workflow.c.claim_id == claims.c.id)
            .join(memberships, memberships.c.id == claims.c.membership_id)
            .join(people, people.c.id == memberships.c.person_id)
            .where(
                claims.c.state == ClaimState.ANNOUNCED.value,
                claim_workflow.c.window_ends_at > now,
                claims.c.id > after_id,
            )
        )
        if plan_id is not None:
            q = q.where(claims.c.plan_id == plan_id)
        return list(self.conn.execute(q.order_by(claims.c.id).limit(limit)))

    def card_row(self, claim_id: int) -> Any:
        """One claim's public card facts (for the public record when it is announced)."""
        return self.conn.execute(public_card_select().where(claims.c.id == claim_id)).one()

    def assigned_claims(self, account_id: int, states: Sequence[ClaimState]) -> list[int]:
        q = (
            select(claims.c.id)
            .join(claim_workflow, claim_workflow.c.claim_id == claims.c.id)
            .where(
                claim_workflow.c.assignee_account_id == account_id,
                claims.c.state.in_([s.value for s in states]),
            )
        )
        return list(self.conn.scalars(q.order_by(claims.c.id)))
