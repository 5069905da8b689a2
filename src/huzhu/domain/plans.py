"""A plan and its rules, as data.

Plans are loaded from versioned TOML files (see `huzhu.plans`) and validated by these models, so a
malformed file is refused with an error that names the field. `Plan` is the whole file; its
sections live in `plan_rules` (who is covered, what is paid) and `plan_schedule` (collection,
calendar, claim process), on the building blocks of `plan_fields` (yuan amounts, Beijing days).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from huzhu.domain.errors import InvalidInput
from huzhu.domain.money import Fen
from huzhu.domain.plan_fields import _Model
from huzhu.domain.plan_rules import Caps, Cover, Eligibility, Payout, Severity, Waiting
from huzhu.domain.plan_schedule import Calendar, ClaimRules, Collection

# Shown with every plan, by every adapter (API, pages, CLI, reports): the promise is the members',
# not the operator's, and nothing guarantees it.
NOT_INSURANCE_EN = "A mutual aid plan is not insurance; the payout is not guaranteed."
NOT_INSURANCE_ZH = "互助计划不是保险，互助金不保证给付。"


class Names(_Model):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Plan(_Model):
    schema_version: Literal[1] = 1
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    version: int = Field(ge=1)
    effective_from: date
    names: Names
    summary: Names | None = None
    assumptions: tuple[str, ...] = ()
    changes: str | None = None
    eligibility: Eligibility
    cover: Cover
    payout: Payout
    waiting: Waiting
    management_fee_bp: int = Field(ge=0, le=5000)
    caps: Caps = Caps()
    activation_threshold: int = Field(default=0, ge=0)
    collection: Collection
    calendar: Calendar
    claims: ClaimRules = ClaimRules()

    def payout_for(
        self, age_years: int, severity: Severity | None, disability_grade: int | None = None
    ) -> Fen | None:
        """The lump sum for a diagnosis at this age, or None when no band applies."""
        for band in self.payout.bands:
            if band.matches(age_years, severity):
                amount = min(band.amount, self.payout.maximum)
                if self.payout.by_disability_grade and disability_grade is not None:
                    if not 1 <= disability_grade <= 10:
                        raise InvalidInput(
                            f"disability grade must be 1 to 10, got {disability_grade}",
                            code="disability-grade-invalid",
                            field="disability_grade",
                        )
                    # Grade 1 is total disability (100%); each grade below pays 10 points less.
                    amount = amount * (11 - disability_grade) // 10
                return amount
        return None
