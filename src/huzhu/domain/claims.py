"""Claims: what is checked before a payout, and the states a claim moves through.

The transition table is the single place that says which step may follow which. The full workflow
(investigation, public announcement, objections, juries) adds states and edges here; the engine only
relies on `APPROVED` (ready to be shared in a round), `SHARED` (in a round) and `PAID`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from huzhu.domain.errors import Conflict, Report
from huzhu.domain.identity import age_on
from huzhu.domain.members import Lifecycle, Membership
from huzhu.domain.money import Fen
from huzhu.domain.plans import Category, Condition, Plan


class ClaimState(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    SHARED = "shared"
    PAID = "paid"


TRANSITIONS: dict[ClaimState, frozenset[ClaimState]] = {
    ClaimState.SUBMITTED: frozenset(
        {ClaimState.APPROVED, ClaimState.REJECTED, ClaimState.WITHDRAWN}
    ),
    ClaimState.APPROVED: frozenset({ClaimState.SHARED}),
    ClaimState.SHARED: frozenset({ClaimState.PAID}),
    ClaimState.REJECTED: frozenset(),
    ClaimState.WITHDRAWN: frozenset(),
    ClaimState.PAID: frozenset(),
}

# Claims in these states count as the membership's one payout.
PAYOUT_STATES = frozenset({ClaimState.APPROVED, ClaimState.SHARED, ClaimState.PAID})


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
    cover_starts = membership.cover_starts(plan, condition.category)
    if facts.diagnosis_date < cover_starts:
        kind = "an accident" if condition.category is Category.ACCIDENT else "an illness"
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
