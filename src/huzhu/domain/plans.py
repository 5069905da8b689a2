"""A plan and its rules, as data.

Plans are loaded from versioned TOML files (see `huzhu.plans`) and validated by these models, so a
malformed file is refused with an error that names the field. Amounts in plan files are yuan
(a string such as "0.10" or a whole number of yuan); the models hold fen. Floats are refused
because they cannot say 0.10 exactly.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializationInfo,
    model_validator,
)

from huzhu.domain.errors import InvalidInput
from huzhu.domain.money import Fen, format_yuan, parse_yuan

# Shown with every plan, by every adapter (API, pages, CLI, reports): the promise is the members',
# not the operator's, and nothing guarantees it.
NOT_INSURANCE_EN = "A mutual aid plan is not insurance; the payout is not guaranteed."
NOT_INSURANCE_ZH = "互助计划不是保险，互助金不保证给付。"

# Every plan in the domain brief runs on Beijing time; China has no daylight saving time.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def local_date(moment: datetime) -> date:
    """The day of a moment in Beijing time: ages, waiting periods and rounds count these days."""
    return moment.astimezone(CHINA_TZ).date()


def _yuan_field(value: object) -> int:
    if isinstance(value, (bool, float)):
        raise ValueError("write amounts in yuan as a string (e.g. '0.10') or a whole number")
    if not isinstance(value, int | str):
        raise ValueError("expected an amount in yuan")
    try:
        return parse_yuan(str(value))
    except InvalidInput as err:
        # pydantic only turns ValueError into a ValidationError that carries the field's path.
        raise ValueError(err.message) from None


def _dump_yuan(fen: Fen, info: SerializationInfo) -> object:
    """Plan files say yuan; the API says {fen, currency} (dump with context={"money": "fen"})."""
    context = info.context or {}
    if context.get("money") == "fen":
        return {"fen": fen, "currency": "CNY"}
    return format_yuan(fen, grouping=False)


Yuan = Annotated[
    Fen,
    BeforeValidator(_yuan_field),
    PlainSerializer(_dump_yuan, return_type=Any, when_used="always"),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class CollectionMode(StrEnum):
    PREPAID = "prepaid"
    POSTPAID = "postpaid"


class Collection(_Model):
    mode: CollectionMode
    initial_deposit: Yuan | None = None
    minimum_balance: Yuan | None = None
    reminder_balance: Yuan | None = None
    retry_days: int | None = Field(default=None, ge=0, le=60)
    # Qingsong's rule: an account with a balance and no active member pays this per period
    # (docs/books.md, "Dormant accounts"); a period is whole months dividing a year (3: quarter).
    dormancy_fee: Yuan | None = Field(default=None, gt=0)
    dormancy_period_months: int | None = Field(default=None, ge=1, le=12)

    @model_validator(mode="after")
    def _dormancy(self) -> Collection:
        if (self.dormancy_fee is None) != (self.dormancy_period_months is None):
            raise ValueError("dormancy_fee and dormancy_period_months go together")
        if self.dormancy_period_months is not None and 12 % self.dormancy_period_months:
            raise ValueError("dormancy_period_months must divide 12 (1, 2, 3, 4, 6 or 12)")
        if self.dormancy_fee is not None and self.mode is not CollectionMode.PREPAID:
            raise ValueError("only a prepaid plan holds balances to charge a dormancy fee from")
        return self

    @model_validator(mode="after")
    def _fits_mode(self) -> Collection:
        if self.mode is CollectionMode.PREPAID and self.minimum_balance is None:
            raise ValueError("a prepaid plan needs minimum_balance")
        if self.mode is CollectionMode.POSTPAID and self.retry_days is None:
            raise ValueError("a post-paid plan needs retry_days")
        return self

    def retry_days_after(self, failed_on: date) -> tuple[date, date]:
        """The first and last day a debit that failed on `failed_on` is retried (Beijing days):
        from 0:00 the next day for `retry_days` days (Xiang Hu Bao: 5). After the last day the
        member leaves for non-payment."""
        days = self.retry_days or 0
        return failed_on + timedelta(days=1), failed_on + timedelta(days=days)


class RoundDates(_Model):
    announce_day: int = Field(ge=1, le=28)
    collect_day: int = Field(ge=1, le=28)


class Calendar(_Model):
    """When rounds happen. The headcount is locked at `lock_time` (Beijing time) on announce day."""

    rounds: tuple[RoundDates, ...] = Field(min_length=1, max_length=6)
    lock_time: time = time(0, 0)

    @model_validator(mode="after")
    def _ordered(self) -> Calendar:
        days = [r.announce_day for r in self.rounds]
        if days != sorted(set(days)):
            raise ValueError("rounds must be listed by announce_day, each day once")
        return self

    def announce_dates(self, start: date, end: date) -> list[date]:
        """Announcement dates in [start, end], in order."""
        found: list[date] = []
        month = date(start.year, start.month, 1)
        while month <= end:
            for r in self.rounds:
                day = month.replace(day=r.announce_day)
                if start <= day <= end:
                    found.append(day)
            month = (month + timedelta(days=32)).replace(day=1)
        return found

    def lock_moment(self, announce_date: date) -> datetime:
        return datetime.combine(announce_date, self.lock_time, CHINA_TZ)

    def collect_date(self, announce_date: date) -> date:
        for r in self.rounds:
            if r.announce_day == announce_date.day:
                if r.collect_day >= r.announce_day:
                    return announce_date.replace(day=r.collect_day)
                next_month = (announce_date.replace(day=1) + timedelta(days=32)).replace(day=1)
                return next_month.replace(day=r.collect_day)
        raise ValueError(f"{announce_date} is not an announcement date of this plan")


class ClaimRules(_Model):
    """The numbers of the claim process: the optional `[claims]` table of a plan file."""

    objection_window_days: int = Field(default=3, ge=0, le=60)
    appeal_days: int = Field(default=30, ge=1, le=365)
    documents_days: int = Field(default=14, ge=1, le=180)
    # "drawn": a small jury drawn from a published seed. "public": any member who may sit votes
    # (Xiang Hu Bao); `jury_size` is then unused and the quorum is the votes a case needs.
    jury_mode: Literal["drawn", "public"] = "drawn"
    jury_size: int = Field(default=7, ge=1, le=101)
    jury_quorum: int = Field(default=5, ge=1, le=30000)
    # Overturn when at least this percentage of the votes cast say so; unset: a strict majority.
    jury_threshold_percent: int | None = Field(default=None, ge=1, le=100)
    jury_days: int = Field(default=7, ge=1, le=60)
    juror_min_member_days: int = Field(default=30, ge=0, le=3650)
    # Fraud signal: a claim diagnosed this soon after the waiting period ended is flagged.
    early_claim_days: int = Field(default=30, ge=0, le=3650)

    @model_validator(mode="after")
    def _quorum_fits(self) -> ClaimRules:
        if self.jury_mode == "drawn" and self.jury_quorum > self.jury_size:
            raise ValueError("jury_quorum cannot be above jury_size")
        return self


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
