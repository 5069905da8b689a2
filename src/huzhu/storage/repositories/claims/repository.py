"""Claims."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, func, insert, select, update

from huzhu.domain.claims import PROMISED_STATES, Claim, ClaimState
from huzhu.domain.errors import NotFound
from huzhu.domain.plan_rules import Cause
from huzhu.storage.tables import claims, memberships, people


def _claim(row: Row[Any]) -> Claim:
    return Claim(
        id=row.id,
        plan_id=row.plan_id,
        membership_id=row.membership_id,
        condition_code=row.condition_code,
        diagnosis_date=row.diagnosis_date,
        hospital=row.hospital,
        evidence=tuple(row.evidence or ()),
        age_at_diagnosis=row.age_at_diagnosis,
        payout=row.payout,
        state=ClaimState(row.state),
        submitted_at=row.submitted_at,
        disability_grade=row.disability_grade,
        cause=Cause(row.cause),
        reason_code=row.reason_code,
        reason_text=row.reason_text,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        round_id=row.round_id,
    )


def public_card_select() -> Select[Any]:
    """What a case's public card shows (masking happens in the view): one query for rounds'
    case lists and for the announcement appended to the public record."""
    return (
        select(
            claims.c.id,
            claims.c.condition_code,
            claims.c.age_at_diagnosis,
            claims.c.payout,
            claims.c.diagnosis_date,
            memberships.c.joined_at,
            people.c.name,
            people.c.sex,
            people.c.province_code,
        )
        .join(memberships, memberships.c.id == claims.c.membership_id)
        .join(people, people.c.id == memberships.c.person_id)
    )


class ClaimRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, c: Claim) -> int:
        result = self.conn.execute(
            insert(claims).values(
                plan_id=c.plan_id,
                membership_id=c.membership_id,
                condition_code=c.condition_code,
                diagnosis_date=c.diagnosis_date,
                hospital=c.hospital,
                evidence=list(c.evidence),
                disability_grade=c.disability_grade,
                cause=c.cause.value,
                age_at_diagnosis=c.age_at_diagnosis,
                payout=c.payout,
                state=c.state.value,
                reason_code=c.reason_code,
                reason_text=c.reason_text,
                submitted_at=c.submitted_at,
                decided_at=c.decided_at,
                decided_by=c.decided_by,
            )
        )
        c.id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return c.id

    def get(self, claim_id: int, *, lock: bool = False) -> Claim:
        """The claim; `lock` holds its row until the transaction ends (PostgreSQL: FOR NO KEY
        UPDATE, which leaves inserts that refer to the claim free), so a decision is taken on
        the claim as it is, not as it was when read."""
        q = select(claims).where(claims.c.id == claim_id)
        if lock:
            q = q.with_for_update(key_share=True)
        row = self.conn.execute(q).first()
        if row is None:
            raise NotFound(f"no claim {claim_id}", code="unknown-claim", field="claim")
        return _claim(row)

    def membership_of(self, claim_id: int) -> int:
        found = self.conn.scalar(select(claims.c.membership_id).where(claims.c.id == claim_id))
        if found is None:
            raise NotFound(f"no claim {claim_id}", code="unknown-claim", field="claim")
        return int(found)

    def save_decision(self, c: Claim) -> None:
        self.conn.execute(
            update(claims)
            .where(claims.c.id == c.id)
            .values(
                state=c.state.value,
                reason_code=c.reason_code,
                reason_text=c.reason_text,
                decided_at=c.decided_at,
                decided_by=c.decided_by,
                payout=c.payout,
            )
        )

    def has_payout(self, membership_id: int) -> bool:
        """An approved, shared or paid claim, or one announced and so promised a payout."""
        found = self.conn.scalar(
            select(claims.c.id)
            .where(
                claims.c.membership_id == membership_id,
                claims.c.state.in_([s.value for s in PROMISED_STATES]),
            )
            .limit(1)
        )
        return found is not None

    def list(
        self,
        *,
        plan_id: str | None = None,
        state: ClaimState | None = None,
        membership_ids: list[int] | None = None,
        round_id: int | None = None,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[Claim]:
        q = select(claims).where(claims.c.id > after_id)
        if plan_id is not None:
            q = q.where(claims.c.plan_id == plan_id)
        if state is not None:
            q = q.where(claims.c.state == state.value)
        if membership_ids is not None:
            q = q.where(claims.c.membership_id.in_(membership_ids))
        if round_id is not None:
            q = q.where(claims.c.round_id == round_id)
        return [_claim(r) for r in self.conn.execute(q.order_by(claims.c.id).limit(limit))]

    def take_into_round(self, plan_id: str, lock_at: datetime, round_id: int) -> tuple[int, int]:
        """Claims approved before the lock join the round: (cases, total payout)."""
        due = (
            (claims.c.plan_id == plan_id)
            & (claims.c.state == ClaimState.APPROVED.value)
            & (claims.c.decided_at < lock_at)
            & claims.c.round_id.is_(None)
        )
        self.conn.execute(
            update(claims).where(due).values(state=ClaimState.SHARED.value, round_id=round_id)
        )
        row = self.conn.execute(
            select(func.count(), func.coalesce(func.sum(claims.c.payout), 0)).where(
                claims.c.round_id == round_id
            )
        ).one()
        return int(row[0]), int(row[1])
