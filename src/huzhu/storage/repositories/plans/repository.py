"""Plan versions, stored as the exact TOML text that was loaded, with its SHA-256."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, func, insert, select

from huzhu.domain.errors import NotFound
from huzhu.domain.plans import Plan
from huzhu.plans.loader import load_plan_text
from huzhu.storage.tables import plan_versions, plans

# Parsing TOML is slow next to a dict lookup; documents are immutable, so cache by digest.
_PARSED: dict[str, Plan] = {}


@dataclass(frozen=True)
class PlanVersionInfo:
    plan_id: str
    version: int
    effective_from: date
    sha256: str
    created_at: datetime
    changes: str | None


def parse_document(document: str, sha256: str) -> Plan:
    plan = _PARSED.get(sha256)
    if plan is None:
        plan = _PARSED[sha256] = load_plan_text(document)
    return plan


def digest(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


class PlanRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def ids(self) -> list[str]:
        return list(self.conn.scalars(select(plans.c.id).order_by(plans.c.id)))

    def exists(self, plan_id: str) -> bool:
        return self.conn.scalar(select(plans.c.id).where(plans.c.id == plan_id)) is not None

    def add_version(self, plan: Plan, document: str, now: datetime) -> None:
        if not self.exists(plan.id):
            self.conn.execute(insert(plans).values(id=plan.id, created_at=now))
        self.conn.execute(
            insert(plan_versions).values(
                plan_id=plan.id,
                version=plan.version,
                effective_from=plan.effective_from,
                document=document,
                sha256=digest(document),
                created_at=now,
            )
        )

    def latest_version(self, plan_id: str) -> int | None:
        latest = self.conn.scalar(
            select(func.max(plan_versions.c.version)).where(plan_versions.c.plan_id == plan_id)
        )
        return None if latest is None else int(latest)

    def get(self, plan_id: str, on: date | None = None) -> Plan:
        """The version in force on `on` (the newest one when `on` is None)."""
        q = select(plan_versions.c.document, plan_versions.c.sha256).where(
            plan_versions.c.plan_id == plan_id
        )
        if on is not None:
            q = q.where(plan_versions.c.effective_from <= on)
        row = self.conn.execute(q.order_by(plan_versions.c.version.desc()).limit(1)).first()
        if row is None:
            first = self.conn.scalar(
                select(func.min(plan_versions.c.version)).where(plan_versions.c.plan_id == plan_id)
            )
            if on is not None and first is not None:
                return self.get_version(plan_id, int(first))  # before it took effect: first rules
            raise NotFound(f"no plan {plan_id!r}", code="unknown-plan", field="plan")
        return parse_document(row.document, row.sha256)

    def get_version(self, plan_id: str, version: int) -> Plan:
        row = self.conn.execute(
            select(plan_versions.c.document, plan_versions.c.sha256).where(
                plan_versions.c.plan_id == plan_id, plan_versions.c.version == version
            )
        ).first()
        if row is None:
            raise NotFound(f"plan {plan_id!r} has no version {version}", code="unknown-plan")
        return parse_document(row.document, row.sha256)

    def history(self, plan_id: str) -> list[PlanVersionInfo]:
        rows = self.conn.execute(
            select(plan_versions)
            .where(plan_versions.c.plan_id == plan_id)
            .order_by(plan_versions.c.version)
        )
        return [
            PlanVersionInfo(
                plan_id=r.plan_id,
                version=r.version,
                effective_from=r.effective_from,
                sha256=r.sha256,
                created_at=r.created_at,
                changes=parse_document(r.document, r.sha256).changes,
            )
            for r in rows
        ]

    def document(self, plan_id: str, version: int) -> str:
        text = self.conn.scalar(
            select(plan_versions.c.document).where(
                plan_versions.c.plan_id == plan_id, plan_versions.c.version == version
            )
        )
        if text is None:
            raise NotFound(f"plan {plan_id!r} has no version {version}", code="unknown-plan")
        return str(text)
