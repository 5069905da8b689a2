"""Evidence files attached to claims, and objections to announced cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from huzhu.domain.errors import NotFound
from huzhu.storage.tables_claims import claim_evidence, claim_objections


@dataclass(frozen=True)
class Evidence:
    id: int
    claim_id: int
    sha256: str
    media_type: str
    size: int
    filename: str | None
    uploaded_by: str
    uploaded_at: datetime


def _evidence(r: Row[Any]) -> Evidence:
    return Evidence(
        r.id, r.claim_id, r.sha256, r.media_type, r.size, r.filename, r.uploaded_by, r.uploaded_at
    )


class EvidenceRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self,
        claim_id: int,
        sha256: str,
        media_type: str,
        size: int,
        filename: str | None,
        by: str,
        at: datetime,
    ) -> Evidence:
        result = self.conn.execute(
            insert(claim_evidence).values(
                claim_id=claim_id,
                sha256=sha256,
                media_type=media_type,
                size=size,
                filename=filename,
                uploaded_by=by,
                uploaded_at=at,
            )
        )
        new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return Evidence(new_id, claim_id, sha256, media_type, size, filename, by, at)

    def get(self, evidence_id: int) -> Evidence:
        row = self.conn.execute(
            select(claim_evidence).where(claim_evidence.c.id == evidence_id)
        ).first()
        if row is None:
            raise NotFound(f"no evidence {evidence_id}", code="unknown-evidence", field="evidence")
        return _evidence(row)

    def find(self, claim_id: int, sha256: str) -> Evidence | None:
        row = self.conn.execute(
            select(claim_evidence).where(
                claim_evidence.c.claim_id == claim_id, claim_evidence.c.sha256 == sha256
            )
        ).first()
        return _evidence(row) if row else None

    def for_claim(self, claim_id: int) -> list[Evidence]:
        rows = self.conn.execute(
            select(claim_evidence)
            .where(claim_evidence.c.claim_id == claim_id)
            .order_by(claim_evidence.c.id)
        )
        return [_evidence(r) for r in rows]

    def reused(self, claim_id: int) -> dict[str, list[int]]:
        """Each file of this claim -> the other claims that carry the same file."""
        mine = select(claim_evidence.c.sha256).where(claim_evidence.c.claim_id == claim_id)
        rows = self.conn.execute(
            select(claim_evidence.c.sha256, claim_evidence.c.claim_id)
            .where(claim_evidence.c.sha256.in_(mine), claim_evidence.c.claim_id != claim_id)
            .order_by(claim_evidence.c.claim_id)
        )
        found: dict[str, list[int]] = {}
        for r in rows:
            found.setdefault(r.sha256, []).append(int(r.claim_id))
        return found


class ObjectionStatus(StrEnum):
    PENDING = "pending"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


@dataclass(frozen=True)
class Objection:
    id: int
    claim_id: int
    person_id: int
    reason: str
    created_at: datetime
    status: ObjectionStatus
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None


def _objection(r: Row[Any]) -> Objection:
    return Objection(
        r.id,
        r.claim_id,
        r.person_id,
        r.reason,
        r.created_at,
        ObjectionStatus(r.status),
        r.reviewed_by,
        r.reviewed_at,
        r.review_note,
    )


class ObjectionRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, claim_id: int, person_id: int, reason: str, at: datetime) -> Objection:
        result = self.conn.execute(
            insert(claim_objections).values(
                claim_id=claim_id,
                person_id=person_id,
                reason=reason,
                created_at=at,
                status=ObjectionStatus.PENDING.value,
            )
        )
        new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return self.get(new_id)

    def get(self, objection_id: int) -> Objection:
        row = self.conn.execute(
            select(claim_objections).where(claim_objections.c.id == objection_id)
        ).first()
        if row is None:
            raise NotFound(
                f"no objection {objection_id}", code="unknown-objection", field="objection"
            )
        return _objection(row)

    def by(self, claim_id: int, person_id: int) -> Objection | None:
        row = self.conn.execute(
            select(claim_objections).where(
                claim_objections.c.claim_id == claim_id, claim_objections.c.person_id == person_id
            )
        ).first()
        return _objection(row) if row else None

    def for_claim(self, claim_id: int) -> list[Objection]:
        rows = self.conn.execute(
            select(claim_objections)
            .where(claim_objections.c.claim_id == claim_id)
            .order_by(claim_objections.c.id)
        )
        return [_objection(r) for r in rows]

    def review(
        self, objection_id: int, status: ObjectionStatus, by: str, note: str, at: datetime
    ) -> None:
        self.conn.execute(
            update(claim_objections)
            .where(claim_objections.c.id == objection_id)
            .values(status=status.value, reviewed_by=by, reviewed_at=at, review_note=note)
        )
