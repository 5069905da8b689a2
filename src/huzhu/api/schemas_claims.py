"""Request and response bodies of the claims workflow: investigation, evidence, announcements,
objections, appeals and juries, and the inbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, Strict

from huzhu.api.schemas import Code, DayIn, FenIn, IdIn, In, Money, Text
from huzhu.domain.plan_rules import Cause

Id = Annotated[int, Strict(), Field(ge=1, le=2**53)]
LongText = Annotated[str, Field(min_length=1, max_length=2000)]
Statement = Annotated[str, Field(min_length=1, max_length=4000)]


class ClaimIn(In):
    membership_id: IdIn
    condition_code: Annotated[str, Field(min_length=4, max_length=8)]
    diagnosis_date: DayIn
    hospital: Text
    # Pydantic copies this default per instance; ruff cannot see from here that `In` is a model.
    evidence: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=20)
    ] = []  # noqa: RUF012
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


class PayoutIn(In):
    """`payout_fen` other than the plan's rule (or where the rule gives none, e.g. after a jury)
    is an override: operators only, with a `reason`, audited and shown on the public card."""

    payout_fen: FenIn | None = None
    reason: str | None = Field(default=None, max_length=500)


class AssignIn(In):
    account_id: Id


class DocumentsIn(In):
    what: LongText
    days: Annotated[int, Strict(), Field(ge=1, le=180)] | None = None


class FindingsIn(In):
    text: Statement


class ReasonIn(In):
    reason: LongText


class AppealIn(In):
    statement: Statement


class ObjectionReviewIn(In):
    outcome: Literal["uphold", "dismiss"]
    explanation: LongText


class DrawJuryIn(In):
    seed: Annotated[str, Field(min_length=8, max_length=128)] | None = None


class VoteIn(In):
    vote: Literal["overturn", "uphold"]


class JurorTestIn(In):
    answers: Annotated[
        dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=200)]],
        Field(max_length=20),
    ]


class SweepIn(In):
    plan_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None


# --- responses ------------------------------------------------------------------------------


class ClaimEventOut(BaseModel):
    at: datetime
    action: str
    from_state: str | None
    to_state: str | None
    actor: str | None  # hidden from the claimant
    details: dict[str, Any]


class WorkflowOut(BaseModel):
    claim: ClaimOut
    assignee_account_id: int | None
    documents_due: datetime | None
    documents_requested: str | None
    objections_until: datetime | None
    appeal_until: datetime | None
    final_at: datetime | None
    jury_decided: bool
    events: list[ClaimEventOut]


class FlagOut(BaseModel):
    code: str
    message: str


class EvidenceOut(BaseModel):
    id: int
    claim_id: int
    sha256: str
    media_type: str
    size: int
    filename: str | None
    uploaded_at: datetime
    reused_in_claims: list[int] | None = None  # reviewers only


class PayoutOverrideOut(BaseModel):
    """The payout is not the plan's rule: what the rule gives (None: no band) and why."""

    rule_payout: Money | None
    reason: str


class AnnouncementOut(BaseModel):
    claim_id: int
    plan_id: str
    name: str
    condition_code: str
    condition: str
    age: int
    sex: str
    province: str | None
    payout: Money
    days_since_joining: int
    diagnosis_date: date
    objections_until: datetime
    payout_override: PayoutOverrideOut | None = None


class ObjectionOut(BaseModel):
    id: int
    claim_id: int
    reason: str
    created_at: datetime
    status: str
    review_note: str | None
    reviewed_at: datetime | None
    objector_person_id: int | None = None  # reviewers only


class JuryOut(BaseModel):
    id: int
    claim_id: int
    seed: str
    quorum: int
    eligible_count: int
    eligible_digest: str
    drawn_at: datetime
    deadline: datetime
    status: str
    jurors: int
    declined: int
    mode: str = "drawn"  # "public": any member who may sit votes; no seed, no seats
    threshold_percent: int | None = None  # unset: a strict majority overturns
    # Sealed until the close:
    closed_at: datetime | None = None
    result: str | None = None
    overturn: int | None = None
    uphold: int | None = None


class JuryDutyOut(BaseModel):
    jury: JuryOut
    my_status: str
    case: dict[str, Any]
    reason_code: str | None
    reason_text: str | None
    appeal_statement: str | None


class QuestionOut(BaseModel):
    id: str
    en: str
    zh: str
    options: list[str]


class JurorTestOut(BaseModel):
    questions: list[QuestionOut]
    passed_at: datetime | None


class JurorTestResultOut(BaseModel):
    """Passed or not, never how many answers were right: a score per attempt let anyone find
    the answers one question at a time."""

    total: int
    passed: bool


class LanguageIn(In):
    locale: Literal["zh", "en"]


class InboxMessageOut(BaseModel):
    id: int
    person_id: int
    claim_id: int | None
    kind: str
    params: dict[str, object] = Field(
        description="The message's parameters (money in fen, moments in ISO 8601); "
        "`title` and `body` are worded from `kind` and these in `locale`."
    )
    locale: str
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None


class SweepOut(BaseModel):
    documents_expired: int
    made_final: int
