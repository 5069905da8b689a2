"""Submitting a claim: the plan's rules decide at once whether it is refused (stored as rejected,
with every reason, and open to appeal) or waits for the reviewers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from huzhu.domain import lifecycle
from huzhu.domain.claims import OPEN_STATES, Claim, ClaimFacts, ClaimState, assess_claim, deadline
from huzhu.domain.errors import InvalidInput, RuleViolation, Violation
from huzhu.domain.members import suspended_on
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plan_rules import Cause, Condition
from huzhu.plans.loader import load_catalogue
from huzhu.services.claims.service import step
from huzhu.services.plans import activation
from huzhu.services.plans.shutdown import closing_of
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
    cause: Cause = Cause.ILLNESS  # what caused the condition: an illness or an accident


# Claims a membership may have awaiting a decision at once (submitted, under investigation,
# waiting for documents, announced, or before a jury). A member rarely has two; the limit keeps a
# script from filling the reviewers' queue. Soft: two simultaneous submissions may both pass.
MAX_OPEN_CLAIMS = 3


AWAITING = OPEN_STATES | {ClaimState.ANNOUNCED, ClaimState.JURY}


def _check_open_claims(uow: UnitOfWork, membership_id: int) -> None:
    mine = uow.claims.list(membership_ids=[membership_id], limit=10_000)
    if sum(c.state in AWAITING for c in mine) >= MAX_OPEN_CLAIMS:
        raise RuleViolation(
            [
                Violation(
                    "too-many-open-claims",
                    f"a membership may have {MAX_OPEN_CLAIMS} claims awaiting a decision",
                    "membership_id",
                )
            ]
        )


def submit(uow: UnitOfWork, req: ClaimRequest, now: datetime) -> Claim:
    """Record a claim. One that the plan's rules exclude is stored as rejected, with every reason
    (and may be appealed).

    Refused outright (nothing written): malformed input, and a plan still in preparation.
    """
    if req.diagnosis_date > local_date(now):
        raise InvalidInput("the diagnosis date is in the future", field="diagnosis_date")
    if not req.hospital.strip():
        raise InvalidInput("the hospital is required", code="missing-field", field="hospital")
    condition = load_catalogue().get(req.condition_code)
    membership = uow.memberships.get(req.membership_id, lock=True)  # a leave waits, or went first
    # Counted under the membership's lock, so two simultaneous submissions cannot both pass.
    _check_open_claims(uow, req.membership_id)
    if req.diagnosis_date < uow.people.get(membership.person_id).birth_date:
        # The plan's age rules cannot be applied to a diagnosis before birth.
        raise InvalidInput("the diagnosis date is before the birth date", field="diagnosis_date")
    plan = uow.plans.get(membership.plan_id, req.diagnosis_date)
    activated = activation.latch(uow, plan, now)
    if plan.activation_threshold and activated is None:
        members = uow.memberships.count_live(plan.id)
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
    closing = closing_of(uow, plan.id)
    lifecycle.check_claim_window(plan.id, closing, local_date(now))
    person = uow.people.get(membership.person_id)
    assessment = assess_claim(
        plan,
        membership,
        ClaimFacts(
            condition,
            req.diagnosis_date,
            person.birth_date,
            req.disability_grade,
            activated,
            _cause(condition, req.cause),
        ),
        has_payout_already=uow.claims.has_payout(req.membership_id),
    )
    if lifecycle.cover_ended(closing, req.diagnosis_date):
        assessment.report.fail(
            "cover-ended",
            f"{plan.id} closed: cover ended on {closing.end_date if closing else ''}",
            "diagnosis_date",
        )
    if suspended_on(uow.memberships.events(req.membership_id), req.diagnosis_date):
        assessment.report.fail(
            "cover-suspended",
            f"the member's cover was suspended on {req.diagnosis_date.isoformat()}",
            "diagnosis_date",
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
        cause=_cause(condition, req.cause),
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
    claim_id = uow.claims.add(claim)
    if claim.state is ClaimState.REJECTED:
        wf = uow.workflow.get(claim_id)
        wf.appeal_until = deadline(now, plan.claims.appeal_days)
        uow.workflow.save(wf)
        message = ("claim.refused", {"reason_codes": [v.code for v in failed],
                                     "appeal_until_at": wf.appeal_until.isoformat()})  # fmt: skip
        step(uow, claim, None, "rejected", RULES, now, message)
    else:
        step(uow, claim, None, "submitted", "claimant", now, ("claim.submitted", {}))
    return claim


def _cause(condition: Condition, cause: Cause) -> Cause:
    """An accident-category condition (death or disability by accident) is always accidental."""
    return Cause.ACCIDENT if condition.category.is_accident else cause
