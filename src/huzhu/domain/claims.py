"""Claims: what is checked before a payout, and the states a claim moves through.

The transition table is the single place that says which step may follow which. The engine relies
on `APPROVED` (final: ready to be shared in a round), `SHARED` (in a round) and `PAID`.

    submitted -> under_investigation <-> documents_requested
    (submitted | under_investigation) -> announced -> approved -> shared -> paid
    announced --objection upheld--> rejected
    rejected --appeal--> jury --overturned--> announced (or under_investigation when no payout)
    jury --upheld--> rejected (final);  jury --no quorum--> jury (a new jury is drawn)
    rejected --reopened by a reviewer--> under_investigation
    documents_requested --deadline missed--> rejected (documents-not-provided, appealable)
    any state before a final decision --claimant--> withdrawn
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from huzhu.domain.errors import Conflict, Report, RuleViolation, Violation
from huzhu.domain.identity import age_on
from huzhu.domain.members import Lifecycle, Membership
from huzhu.domain.money import Fen
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plan_rules import Category, Cause, Condition
from huzhu.domain.plans import Plan


class ClaimState(StrEnum):
    SUBMITTED = "submitted"
    UNDER_INVESTIGATION = "under_investigation"
    DOCUMENTS_REQUESTED = "documents_requested"
    ANNOUNCED = "announced"
    APPROVED = "approved"
    REJECTED = "rejected"
    JURY = "jury"
    WITHDRAWN = "withdrawn"
    SHARED = "shared"
    PAID = "paid"


S = ClaimState
OPEN_TARGETS = frozenset({S.DOCUMENTS_REQUESTED, S.ANNOUNCED, S.APPROVED, S.REJECTED, S.WITHDRAWN})
TRANSITIONS: dict[ClaimState, frozenset[ClaimState]] = {
    # Approving straight from investigation (no announcement) is the engine's original path.
    S.SUBMITTED: OPEN_TARGETS | {S.UNDER_INVESTIGATION},
    S.UNDER_INVESTIGATION: OPEN_TARGETS,
    S.DOCUMENTS_REQUESTED: frozenset({S.UNDER_INVESTIGATION, S.REJECTED, S.WITHDRAWN}),
    S.ANNOUNCED: frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.SHARED}),
    S.SHARED: frozenset({S.PAID}),
    S.REJECTED: frozenset({S.JURY, S.UNDER_INVESTIGATION}),
    S.JURY: frozenset({S.ANNOUNCED, S.UNDER_INVESTIGATION, S.REJECTED, S.WITHDRAWN}),
    S.WITHDRAWN: frozenset(),
    S.PAID: frozenset(),
}

# The claimant may add evidence while the claim is open or may still be appealed.
EVIDENCE_STATES = frozenset(
    {S.SUBMITTED, S.UNDER_INVESTIGATION, S.DOCUMENTS_REQUESTED, S.REJECTED, S.JURY}
)
# Decisions (approve, reject, request documents) are taken on claims in these states.
OPEN_STATES = frozenset({S.SUBMITTED, S.UNDER_INVESTIGATION, S.DOCUMENTS_REQUESTED})

# Claims in these states count as the membership's one payout.
PAYOUT_STATES = frozenset({ClaimState.APPROVED, ClaimState.SHARED, ClaimState.PAID})
# ...and so does an announced one: its payout is promised unless an objection is upheld.
PROMISED_STATES = PAYOUT_STATES | {ClaimState.ANNOUNCED}


def check_transition(current: ClaimState, target: ClaimState) -> None:
    if target not in TRANSITIONS[current]:
        raise Conflict(
            f"a claim that is {current.value} cannot become {target.value}",
            code="claim-state",
            field="state",
        )


@dataclass(frozen=True)
class ClaimFacts:
    """What the claimant states, plus what is known about the plan and the member."""

    condition: Condition
    diagnosis_date: date
    birth_date: date
    disability_grade: int | None = None
    # When a plan with an activation threshold came into force (None: no threshold).
    activated_at: datetime | None = None
    cause: Cause = Cause.ILLNESS


@dataclass(frozen=True)
class Assessment:
    report: Report
    payout: Fen | None
    age_at_diagnosis: int


def assess_claim(
    plan: Plan,
    membership: Membership,
    facts: ClaimFacts,
    *,
    has_payout_already: bool,
) -> Assessment:
    """Check a claim against the plan's rules; every failed rule is listed with its code."""
    report = Report()
    condition = facts.condition
    if not plan.cover.covers(condition):
        report.fail(
            "condition-not-covered",
            f"{condition.en} ({condition.code}) is not covered by {plan.id}",
            "condition_code",
        )
    if membership.lifecycle is not Lifecycle.ACTIVE:
        report.fail(
            "membership-not-active",
            f"the membership is {membership.lifecycle.value} and cannot claim",
            "membership",
        )
    activated = facts.activated_at
    if activated is not None and facts.diagnosis_date < local_date(activated):
        report.fail(
            "diagnosed-before-activation",
            f"{plan.id} came into force on {local_date(activated).isoformat()}; nothing diagnosed "
            "before it is covered",
            "diagnosis_date",
        )
    cover_starts = membership.cover_starts(plan, condition.category, activated, facts.cause)
    if facts.diagnosis_date < cover_starts:
        accidental = condition.category is Category.ACCIDENT or facts.cause is Cause.ACCIDENT
        kind = "an accident" if accidental else "an illness"
        report.fail(
            "in-waiting-period",
            f"{kind} is covered from {cover_starts.isoformat()}, "
            f"diagnosed on {facts.diagnosis_date.isoformat()}",
            "diagnosis_date",
        )
    if has_payout_already:
        report.fail(
            "already-paid-out", "this membership has already received its payout", "membership"
        )
    grade = facts.disability_grade
    by_grade = plan.payout.by_disability_grade and condition.code == "AC-02"
    grade_ok = not by_grade or (grade is not None and 1 <= grade <= 10)
    if not grade_ok:
        report.fail(
            "disability-grade-required",
            "accidental disability needs a grade from 1 (total) to 10",
            "disability_grade",
        )
    age = age_on(facts.birth_date, facts.diagnosis_date)
    if plan.cover.covers(condition) and plan.cover.too_old_for(condition, age):
        report.fail(
            "childhood-age-exceeded",
            f"{condition.en} ({condition.code}) is a childhood illness, claimable under age "
            f"{plan.cover.childhood_max_age_years}; diagnosed at {age}",
            "diagnosis_date",
        )
    payout = None
    if grade_ok:
        payout = plan.payout_for(age, condition.severity, grade if by_grade else None)
        if payout is None:
            report.fail(
                "no-payout-band",
                f"no payout band of {plan.id} applies at age {age}",
                "diagnosis_date",
            )
    return Assessment(report=report, payout=payout, age_at_diagnosis=age)


@dataclass
class Claim:
    id: int | None
    plan_id: str
    membership_id: int
    condition_code: str
    diagnosis_date: date
    hospital: str
    evidence: tuple[str, ...]
    age_at_diagnosis: int
    payout: Fen | None
    state: ClaimState
    submitted_at: datetime
    disability_grade: int | None = None
    cause: Cause = Cause.ILLNESS
    reason_code: str | None = None
    reason_text: str | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    round_id: int | None = None

    def decide(
        self,
        target: ClaimState,
        *,
        by: str,
        at: datetime,
        reason_code: str | None = None,
        reason_text: str | None = None,
    ) -> None:
        check_transition(self.state, target)
        self.state = target
        self.decided_by = by
        self.decided_at = at
        self.reason_code = reason_code
        self.reason_text = reason_text

    def move(self, target: ClaimState) -> ClaimState:
        """A step that is not a decision (investigation, documents, finalisation): the decision's
        time is kept, because a round takes approvals decided before its lock."""
        before = self.state
        check_transition(before, target)
        self.state = target
        return before


@dataclass
class Workflow:
    """The claim process's deadlines and assignment, one per claim."""

    claim_id: int
    assignee_account_id: int | None = None
    documents_due: datetime | None = None
    documents_note: str | None = None
    window_ends_at: datetime | None = None  # the objection window of the latest announcement
    appeal_until: datetime | None = None  # None: no appeal is open
    final_at: datetime | None = None
    jury_decided: bool = False  # a jury has ruled: the claim cannot be appealed again


def deadline(now: datetime, days: int) -> datetime:
    return now + timedelta(days=days)


def check_objection_open(state: ClaimState, wf: Workflow, now: datetime) -> None:
    if state is ClaimState.ANNOUNCED and wf.window_ends_at is not None and now < wf.window_ends_at:
        return
    if wf.window_ends_at is None:
        message = "this case has not been announced, so it is not open to objections"
    else:
        message = f"objections were taken until {wf.window_ends_at.isoformat()}"
    raise RuleViolation([Violation("objection-window-closed", message, "claim")])


def check_appeal_open(state: ClaimState, wf: Workflow, now: datetime) -> None:
    if state is not ClaimState.REJECTED:
        raise Conflict(
            f"only a rejected claim can be appealed; this one is {state.value}",
            code="claim-state",
            field="state",
        )
    if wf.jury_decided or wf.appeal_until is None:
        raise RuleViolation(
            [Violation("appeal-not-open", "this rejection is final: no appeal", "claim")]
        )
    if now > wf.appeal_until:
        raise RuleViolation(
            [
                Violation(
                    "appeal-deadline-passed",
                    f"appeals were taken until {wf.appeal_until.isoformat()}",
                    "claim",
                )
            ]
        )


def rule_quote(plan: Plan, code: str) -> str | None:
    """The plan rule a rejection rests on, quoted for the member (None when no rule applies)."""
    where = f"plan {plan.id} v{plan.version}"
    quotes = {
        "condition-not-covered": f"[cover] categories = {[c.value for c in plan.cover.categories]}",
        "childhood-age-exceeded": "[cover] childhood_max_age_years = "
        f"{plan.cover.childhood_max_age_years}",
        "in-waiting-period": f"[waiting] illness_days = {plan.waiting.illness_days}, "
        f"accident_days = {plan.waiting.accident_days}",
        "already-paid-out": "a membership receives one payout; cover ends with it",
        "documents-not-provided": f"[claims] documents_days = {plan.claims.documents_days}: "
        "requested documents must arrive before the deadline",
        "objection-upheld": f"[claims] objection_window_days = {plan.claims.objection_window_days}"
        ": an announced case is paid only when no objection to it is upheld",
    }
    quote = quotes.get(code)
    return f"{quote} ({where})" if quote else None
