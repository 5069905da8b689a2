"""Who a plan covers and what it pays: the eligibility, cover, payout, waiting and caps sections of
a plan file. Each section validates itself, so a refusal names the field inside its section."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from huzhu.domain.plan_fields import Yuan, _Model


class Category(StrEnum):
    CRITICAL_ILLNESS = "critical-illness"
    CANCER = "cancer"
    CHILDHOOD_ILLNESS = "childhood-illness"
    ACCIDENT = "accident"

    @property
    def is_accident(self) -> bool:
        return self is Category.ACCIDENT


class Severity(StrEnum):
    MILD = "mild"
    SEVERE = "severe"


class Condition(_Model):
    code: str = Field(pattern=r"^[A-Z]{2,4}-[0-9]{2,3}$")
    zh: str
    en: str
    category: Category
    severity: Severity | None = None
    # The id of a `[[source]]` in the catalogue: where the name and definition come from.
    source: str | None = Field(default=None, pattern=r"^[a-z0-9-]+$")


class Source(_Model):
    """A public document a catalogue entry group is taken from, cited by id."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    title: str = Field(min_length=1)
    url: str | None = None
    note: str | None = None


class AgeLimit(_Model):
    """An age given either in days (for babies) or in whole years."""

    days: int | None = Field(default=None, ge=0)
    years: int | None = Field(default=None, ge=0, le=120)

    @model_validator(mode="after")
    def _one_unit(self) -> AgeLimit:
        if (self.days is None) == (self.years is None):
            raise ValueError("give exactly one of 'days' or 'years'")
        return self

    def describe(self) -> str:
        return f"{self.days} days" if self.days is not None else f"{self.years} years"


class HealthQuestion(_Model):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    zh: str
    en: str
    # The answer a healthy applicant gives; any other answer makes the person ineligible.
    required_answer: bool = False


class Eligibility(_Model):
    min_age: AgeLimit
    max_age: AgeLimit
    exit_age_years: int | None = Field(default=None, ge=1, le=120)
    # The plan a member who reaches the exit age is offered (Xiang Hu Bao: its senior plan); the
    # member is told and joins only by accepting, never moved silently.
    successor_plan: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    min_credit_score: int | None = Field(default=None, ge=0, le=1000)
    health_declaration: tuple[HealthQuestion, ...] = ()

    @model_validator(mode="after")
    def _successor_needs_exit(self) -> Eligibility:
        if self.successor_plan is not None and self.exit_age_years is None:
            raise ValueError("successor_plan is offered at the exit age: set exit_age_years")
        return self


class Cover(_Model):
    categories: tuple[Category, ...] = Field(min_length=1)
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    # A childhood illness is claimable only when diagnosed under this age (whole years); a
    # diagnosis at or over it is refused (childhood-age-exceeded).
    childhood_max_age_years: int | None = Field(default=None, ge=1, le=120)

    @model_validator(mode="after")
    def _childhood_age_given(self) -> Cover:
        if Category.CHILDHOOD_ILLNESS in self.categories and self.childhood_max_age_years is None:
            raise ValueError("a plan covering childhood-illness needs childhood_max_age_years")
        return self

    def covers(self, condition: Condition) -> bool:
        if condition.code in self.exclude:
            return False
        return condition.category in self.categories or condition.code in self.include

    def too_old_for(self, condition: Condition, age_years: int) -> bool:
        """Whether a childhood illness diagnosed at this age is past the plan's childhood age."""
        if condition.category is not Category.CHILDHOOD_ILLNESS:
            return False
        limit = self.childhood_max_age_years
        # A plan that names a childhood code in `include` without an age sets no limit.
        return limit is not None and age_years >= limit


class PayoutBand(_Model):
    """Payout for an age band at diagnosis (inclusive bounds), optionally for one severity."""

    min_age_years: int = Field(ge=0, le=120)
    max_age_years: int = Field(ge=0, le=120)
    severity: Severity | None = None
    amount: Yuan = Field(gt=0)

    def matches(self, age_years: int, severity: Severity | None) -> bool:
        in_band = self.min_age_years <= age_years <= self.max_age_years
        return in_band and (self.severity is None or self.severity == severity)


def overlapping_bands(bands: tuple[PayoutBand, ...]) -> tuple[int, int] | None:
    """The first pair of bands (i, j), i < j, that would both pay at some age: their ages meet
    and their severities can match (a band without a severity matches every severity)."""
    for j, b in enumerate(bands):
        for i, a in enumerate(bands[:j]):
            ages_meet = a.min_age_years <= b.max_age_years and b.min_age_years <= a.max_age_years
            same_case = a.severity is None or b.severity is None or a.severity == b.severity
            if ages_meet and same_case:
                return i, j
    return None


class Payout(_Model):
    bands: tuple[PayoutBand, ...] = Field(min_length=1)
    maximum: Yuan = Field(gt=0)
    # Disability is paid in proportion to its grade: grade 1 = 100%, grade 10 = 10%.
    by_disability_grade: bool = False

    @model_validator(mode="after")
    def _bands_within_maximum(self) -> Payout:
        for i, band in enumerate(self.bands):
            if band.amount > self.maximum:
                raise ValueError(f"bands[{i}].amount is above the maximum payout")
            if band.min_age_years > band.max_age_years:
                raise ValueError(f"bands[{i}] has min_age_years above max_age_years")
        return self


class Cause(StrEnum):
    """What caused the condition a claim is for."""

    ILLNESS = "illness"
    ACCIDENT = "accident"


class Waiting(_Model):
    illness_days: int = Field(ge=0, le=3650)
    accident_days: int = Field(ge=0, le=3650)
    # A covered condition caused by an accident (a brain injury, a lost limb) waits only the
    # accident wait (Xiang Hu Bao: from day one; its first two paid cases were of this kind).
    accident_caused_conditions: bool = False

    def days_for(self, category: Category, cause: Cause = Cause.ILLNESS) -> int:
        if category.is_accident:
            return self.accident_days
        if cause is Cause.ACCIDENT and self.accident_caused_conditions:
            return self.accident_days
        return self.illness_days


class Caps(_Model):
    per_case_per_member: Yuan | None = Field(default=None, gt=0)
    per_year_per_member: Yuan | None = Field(default=None, gt=0)
