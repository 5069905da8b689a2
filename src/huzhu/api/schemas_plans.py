"""Request and response bodies of plans: summaries, versions and covered conditions."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from huzhu.api.schemas import Money


class PlanSummary(BaseModel):
    id: str
    name_zh: str
    name_en: str
    version: int
    effective_from: date
    max_payout: Money
    management_fee_bp: int
    members: int
    in_preparation: bool
    notice: str


class PlanVersionOut(BaseModel):
    version: int
    effective_from: date
    published_at: datetime
    sha256: str
    changes: str | None


class ConditionOut(BaseModel):
    code: str
    zh: str
    en: str
    category: str
    severity: str | None
    # Where the name and definition come from (a `[[source]]` id of the catalogue).
    source: str | None = None
    # Childhood illnesses: claimable only when diagnosed under this age (None: no limit).
    claimable_under_age: int | None = None


class PlanDetail(PlanSummary):
    rules: dict[str, object]
    versions: list[PlanVersionOut]
