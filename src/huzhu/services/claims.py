"""Submitting and deciding claims."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from huzhu.domain.claims import Claim, ClaimFacts, ClaimState, assess_claim
from huzhu.domain.errors import InvalidInput, RuleViolation, Violation
from huzhu.domain.members import LeaveReason, Lifecycle
from huzhu.domain.plans import local_date
from huzhu.plans.loader import load_catalogue
from huzhu.storage.uow import UnitOfWork

RULES = "rules"  # decided_by for a claim the plan's rules refused on submission


@dataclass(frozen=True)
class ClaimRequest:
    membership_id: int
    condition_code: str
    diagnosis_date: date
    hospital: str
    evidence: tuple[str, ...] = ()
    disability_grade: int | None = None


def submit(uow: UnitOfWork, req: ClaimRequest, now: datetime) -> Claim:
    """Record a claim. One that the plan's rules exclude is stored as rejected, with every reason.

    Refused outright (nothing written): malformed input, and a plan still in preparation.
    """
    if req.diagnosis_date > local_date(now):
        raise InvalidInput("the diagnosis date is in the future", field="diagnosis_date")
    if not req.hospital.strip():
        raise InvalidInput("the hospital is required", code="missing-field", field="hospital")
    condition = load_catalogue().get(req.condition_code)
    membership = uow.memberships.get(req.membership_id)
    plan = uow.plans.get(membership.plan_id, req.diagnosis_date)
    members = uow.memberships.count_live(plan.id)
    if members < plan.activation_threshold:
        raise RuleViolation(
            [
                Violation(
                    "plan-in-preparation",
                    f"{plan.id} takes claims once {plan.activation_threshold:,} members have "
                    f"joined; it has {members:,}",
                    "plan",
                )
            ]
        )
    person = uow.people.get(membership.person_id)
    assessment = assess_claim(
        plan,
        membership,
        ClaimFacts(condition, req.diagnosis_date, person.birth_date, req.disability_grade),
        has_payout_already=uow.claims.has_payout(req.membership_id),
    )
    claim = Claim(
        id=None,
        plan_id=plan.id,
        membership_id=req.membership_id,
        condition_code=condition.code,
        diagnosis_date=req.diagnosis_date,
        hospital=req.hospital.strip(),
        evidence=req.evidence,
        age_at_diagnosis=assessment.age_at_diagnosis,
        payout=assessment.payout,
        state=ClaimState.SUBMITTED,
        submitted_at=now,
        disability_grade=req.disability_grade,
    )
    if not assessment.report.ok:
        failed = assessment.report.violations
        claim.decide(
            ClaimState.REJECTED,
            by=RULES,
            at=now,
            reason_code=failed[0].code,
            reason_text="; ".join(v.message for v in failed),
        )
    uow.claims.add(claim)
    return claim


def finalize_announced(uow: UnitOfWork, plan_id: str, until: datetime) -> int:
    """Make final the approvals whose objection window closed before `until` with no objection
    upheld, so that the round locking at `until` shares them. Returns how many.

    (Claims are final at approval until the announcement workflow lands: see issue 4.)
    """
    return 0


def approve(uow: UnitOfWork, claim_id: int, by: str, now: datetime) -> Claim:
    """Approve a submitted claim; the member's cover in the plan ends with the payout."""
    claim = uow.claims.get(claim_id)
    if claim.state is ClaimState.SUBMITTED and uow.claims.has_payout(claim.membership_id):
        raise RuleViolation(
            [Violation("already-paid-out", "this membership has already received its payout")]
        )
    claim.decide(ClaimState.APPROVED, by=by, at=now)
    uow.claims.save_decision(claim)
    membership = uow.memberships.get(claim.membership_id)
    if membership.lifecycle is not Lifecycle.LEFT:
        membership.leave(LeaveReason.PAID_OUT, now)
        uow.memberships.save_leave(membership)
    return claim


def reject(
    uow: UnitOfWork, claim_id: int, by: str, reason_code: str, reason_text: str, now: datetime
) -> Claim:
    if not reason_code.strip() or not reason_text.strip():
        raise InvalidInput(
            "a rejection needs a reason code and an explanation for the member",
            code="missing-field",
            field="reason",
        )
    claim = uow.claims.get(claim_id)
    claim.decide(
        ClaimState.REJECTED, by=by, at=now, reason_code=reason_code, reason_text=reason_text
    )
    uow.claims.save_decision(claim)
    return claim
