"""The operator's queue of identity checks: what a check shows, and the decision."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from huzhu.api.schemas import In


class IdentityCheckOut(BaseModel):
    id: int
    account_id: int
    kind: str
    state: str
    name_given: str
    person_id: int
    person_name: str
    person_id_number: str  # masked
    created_at: datetime


class DecisionIn(In):
    model_config = ConfigDict(strict=True)  # "yes" or 1 is not a decision
    confirm: bool
