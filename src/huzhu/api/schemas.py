"""Request and response bodies. Inputs forbid unknown fields; money is integer fen plus currency."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    field_validator,
)

from huzhu.domain.money import MAX_FEN
from huzhu.domain.plans import Cause

T = TypeVar("T")


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def no_nul(value: T) -> T:
    """Refuse text with a NUL character: no field means one, and PostgreSQL cannot store it."""
    if _has_nul(value):
        raise ValueError("text may not contain NUL (\\u0000) characters")
    return value


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        return no_nul(value)


class Money(BaseModel):
    fen: int
    currency: Literal["CNY"] = "CNY"


def money(fen: int) -> Money:
    return Money(fen=fen)


Text = Annotated[str, Field(min_length=1, max_length=200)]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")]
# Amounts and ids are JSON integers, strictly: "1", true and 1.0 are refused, not converted.
FenIn = Annotated[int, Strict(), Field(ge=0, le=MAX_FEN)]
# Ids are positive and within JSON's exact integers (and far inside the database's BIGINT);
# plan versions fit the database's INTEGER.
MAX_ID = 2**53
MAX_VERSION = 2**31 - 1
IdIn = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
# Days a plan can be about (announcements, diagnoses): the calendar arithmetic on them (lock and
# collection dates, time-zone shifts) stays far from the ends of Python's date range.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
DayIn = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]


# --- accounts ---------------------------------------------------------------------------


# Spaces are part of a password: the model's whitespace trimming must not change it silently
# (a password set as " secret " would otherwise be stored as "secret").
Password = Annotated[
    str, StringConstraints(strip_whitespace=False), Field(min_length=1, max_length=256)
]


class RegisterIn(In):
    username: Annotated[str, Field(min_length=3, max_length=64)]
    password: Password


class SignInIn(In):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Password


class AssertionIn(In):
    app: Annotated[str, Field(min_length=1, max_length=100)]
    assertion: Annotated[str, Field(min_length=1, max_length=4096)]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    account_id: int


class CookieSessionOut(BaseModel):
    account_id: int
    csrf_token: str
    expires_at: datetime


class AccountOut(BaseModel):
    id: int
    username: str | None
    roles: list[str]
    person_id: int | None
    host_app_id: int | None
    created_at: datetime


class RolesIn(In):
    roles: Annotated[
        list[Literal["member", "reviewer", "operator", "auditor"]], Field(max_length=4)
    ]


class HostAppIn(In):
    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*$")]
    webhook_url: Annotated[str, Field(max_length=500, pattern=r"^https?://")] | None = None


class HostAppOut(BaseModel):
    id: int
    name: str
    assertion_secret: str
    webhook_secret: Annotated[str, Field(description="A Standard Webhooks secret (`whsec_…`).")]


class WebhookSecretOut(BaseModel):
    webhook_secret: Annotated[str, Field(description="The new secret (`whsec_…`), shown once.")]
    previous_valid_until: Annotated[
        datetime, Field(description="Until then, events carry a signature by the old one too.")
    ]


# --- people -----------------------------------------------------------------------------


class PersonIn(In):
    id_type: Literal[
        "resident-id", "passport", "hk-macao-permit", "taiwan-permit", "foreign-permanent-resident"
    ] = "resident-id"
    id_number: Annotated[str, Field(min_length=5, max_length=32)]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    birth_date: date | None = None
    sex: Literal["M", "F"] | None = None
    phone: Annotated[str, Field(max_length=20, pattern=r"^\+?[0-9 -]{5,20}$")] | None = None
    email: Annotated[str, Field(max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    province_code: Annotated[str, Field(pattern=r"^[0-9]{2}$")] | None = None
    city_tier: Annotated[int, Strict(), Field(ge=1, le=5)] | None = None
    rural: bool | None = None


class PersonOut(BaseModel):
    id: int
    id_type: str
    id_number: str
    name: str
    birth_date: date
    sex: str
    province_code: str | None
    phone: str | None
    email: str | None
    guardian_id: int | None


class IdentityReceiptOut(BaseModel):
    """An identity received: what was sent, as read from the document, and nothing from the
    records, so that the answer is the same whether or not the number is already on file."""

    state: str = Field(description="always `received`; see GET /v1/me/person (or dependants)")
    id_type: str
    id_number: str
    name: str
    birth_date: date
    sex: str


# --- plans ------------------------------------------------------------------------------


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


# --- memberships ------------------------------------------------------------------------


class JoinIn(In):
    plan_id: Annotated[str, Field(min_length=1, max_length=64)]
    health_answers: Annotated[
        dict[Annotated[str, Field(max_length=64)], bool], Field(max_length=20)
    ]
    dependant_id: IdIn | None = None
    person: PersonIn | None = None


class SuccessorOfferIn(In):
    """Accepting the plan offered at the exit age: the successor's health declaration."""

    health_answers: Annotated[
        dict[Annotated[str, Field(max_length=64)], bool], Field(max_length=20)
    ]


class SuccessorOfferOut(BaseModel):
    """The plan offered to a member who reached the exit age; they join it only by accepting."""

    plan_id: str
    offered_at: datetime
    state: Literal["offered", "accepted"]
    membership_id: int | None  # the successor membership, once accepted


class MembershipOut(BaseModel):
    id: int
    plan_id: str
    person_id: int
    plan_version: int
    status: Literal["waiting", "covered", "suspended", "left"]
    joined_at: datetime
    illness_cover_from: date
    accident_cover_from: date
    left_at: datetime | None
    leave_reason: str | None
    balance: Money
    # Set when the member aged out of a plan that offers a successor (issue 9).
    successor_offer: SuccessorOfferOut | None = None


class EligibilityOut(BaseModel):
    eligible: bool
    failed_rules: list[str]


class JoinOut(BaseModel):
    membership: MembershipOut
    eligibility: EligibilityOut


class TopUpIn(In):
    amount_fen: Annotated[int, Strict(), Field(ge=1, le=10_000_000)]


class TopUpOut(BaseModel):
    membership_id: int
    transaction_id: int
    amount: Money
    balance: Money


class StatementLineOut(BaseModel):
    round_id: int
    plan_id: str
    announce_date: date
    charged: Money
    cases: int


class OperatorPaidRoundOut(BaseModel):
    round_id: int
    announce_date: date
    cases: int
    share: Money  # what each member would have paid
    reason: Literal["promotion", "shutdown"]


class BalanceMoveOut(BaseModel):
    """Money into (positive) or out of (negative) a prepaid balance."""

    id: int
    membership_id: int  # the membership of the family account it was booked on
    at: datetime  # Beijing time (+08:00)
    kind: str  # deposit | top-up | refund | refund-failed | dormancy-fee | dormancy-refund
    amount: Money
    reference: str | None  # the gateway's; a membership id in it is masked (m***)


class StatementOut(BaseModel):
    membership_id: int
    plan_id: str
    status: str
    plan_version: int
    balance: Money
    total_paid: Money
    people_helped: int
    charges: list[StatementLineOut]
    summary: str
    # Rounds the operator paid for the member: a promotion, or after a plan's notice of closing.
    operator_paid: list[OperatorPaidRoundOut] = []
    # Prepaid plans only (absent post-paid): the money into and out of the family account's
    # balance, newest first, one page; `balance_moves_next_cursor` asks the next one.
    balance_moves: list[BalanceMoveOut] | None = None
    balance_moves_next_cursor: str | None = None


# --- claims -----------------------------------------------------------------------------


class ClaimIn(In):
    membership_id: IdIn
    condition_code: Annotated[str, Field(min_length=4, max_length=8)]
    diagnosis_date: DayIn
    hospital: Text
    evidence: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=20)
    ] = []
    disability_grade: Annotated[int, Strict(), Field(ge=1, le=10)] | None = None
    cause: Cause = Cause.ILLNESS  # what caused the condition: illness or accident


class RejectIn(In):
    reason_code: Code
    explanation: Annotated[str, Field(min_length=1, max_length=2000)]


class ClaimOut(BaseModel):
    id: int
    plan_id: str
    membership_id: int
    condition_code: str
    diagnosis_date: date
    hospital: str
    age_at_diagnosis: int
    payout: Money | None
    state: str
    reason_code: str | None
    reason_text: str | None
    submitted_at: datetime
    decided_at: datetime | None
    round_id: int | None


# --- rounds -----------------------------------------------------------------------------


class RoundRunIn(In):
    announce_date: DayIn


class CaseCard(BaseModel):
    claim_id: int
    name: str
    condition_code: str
    condition: str
    age: int
    sex: str
    province: str | None
    payout: Money
    days_since_joining: int


class RoundOut(BaseModel):
    id: int
    plan_id: str
    announce_date: date
    lock_at: datetime
    collect_date: date
    plan_version: int
    members: int
    cases: int
    payouts: Money
    fee: Money
    carry_in: Money
    share: Money
    collected: Money
    backstop: Money
    surplus: Money


class ChainHead(BaseModel):
    """The newest entry of the public record: outsiders keep it to hold the operator to history."""

    seq: int
    digest: str


class RoundDetail(RoundOut):
    case_cards: list[CaseCard]
    chain_head: ChainHead
    merkle_root: str | None  # over every member's charge; None until the proofs are published


class MyChargeOut(BaseModel):
    round_id: int
    membership_id: int
    charged: Money
