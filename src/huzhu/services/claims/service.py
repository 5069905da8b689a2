"""Submitting and deciding claims: approve (announce, then final), reject, withdraw, reopen.

Approving a claim either announces it for objections for the plan's window
(`[claims] objection_window_days`, default 3 days) or, as the engine always did, makes it final at
once. `approve(announce=None)` follows `DEFAULT_ANNOUNCE`; `finalize_announced`, which every round
calls before it takes approved claims, makes final each announcement whose window has closed with
no objection pending or upheld. A jury that overturns a rejection always announces the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from huzhu.domain import lifecycle
from huzhu.domain.claims import (
    OPEN_STATES,
    Claim,
    ClaimFacts,
    ClaimState,
    assess_claim,
    deadline,
    rule_quote,
)
from huzhu.domain.errors import Conflict, InvalidInput, RuleViolation, Violation
from huzhu.domain.members import LeaveReason, Lifecycle, suspended_on
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plan_rules import Cause, Condition
from huzhu.domain.plans import Plan
from huzhu.plans.loader import load_catalogue
from huzhu.services.claims.cards import publish_card
from huzhu.services.claims.payout import PayoutOverride, set_payout
from huzhu.services.messaging.notify import tell
from huzhu.services.plans import activation
from huzhu.services.plans.shutdown import closing_of
from huzhu.storage.repositories.claims.review import ObjectionStatus
from huzhu.storage.uow import UnitOfWork

# A message to the claimant: its kind and parameters (huzhu.messages).
Message = tuple[str, dict[str, Any]]
RULES = "rules"  # decided_by for a claim the plan's rules refused on submission
# What `approve()` does when not told: False keeps the engine's original meaning (final at once).
DEFAULT_ANNOUNCE = False


@dataclass(frozen=True)
class ClaimRequest:
    membership_id: int
    condition_code: str
    diagnosis_date: date
    hospital: str
    evidence: tuple[str, ...] = ()
    disability_grade: int | None = None
    cause: Cause = Cause.ILLNESS  # what caused the condition: an illness or an accident


def claimant_id(uow: UnitOfWork, claim: Claim) -> int:
    return uow.memberships.get(claim.membership_id).person_id


def step(
    uow: UnitOfWork,
    claim: Claim,
    before: ClaimState | None,
    action: str,
    by: str,
    now: datetime,
    message: Message | None = None,
    **details: Any,
) -> None:
    """Record one step in the claim's history and tell the claimant about it: a message kind
    and its parameters (`huzhu.messages`); `claim_id` is always among them."""
    assert claim.id is not None
    uow.workflow.add_event(claim.id, now, by, action, before, claim.state, details)
    if message is not None:
        kind, params = message
        params = {"claim_id": claim.id, **params}
        tell(uow, claimant_id(uow, claim), kind, params, now, claim_id=claim.id)


def current_plan(uow: UnitOfWork, claim: Claim, now: datetime) -> Plan:
    return uow.plans.get(claim.plan_id, local_date(now))


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


def require(claim: Claim, states: frozenset[ClaimState], verb: str) -> None:
    """Refuse (claim-state) a step that the claim's state does not allow."""
    if claim.state not in states:
        raise Conflict(
            f"a claim that is {claim.state.value} cannot be {verb}",
            code="claim-state",
            field="state",
        )


def hold(uow: UnitOfWork, claim_id: int) -> Claim:
    """Lock the claimant's membership, then the claim, and read the claim as it now is: of two
    racing decisions one waits and then sees the other's (a 409, not a second decision). The
    membership first, always: two claims of one member share it (one payout), and one order
    means no deadlock."""
    uow.memberships.get(uow.claims.membership_of(claim_id), lock=True)
    return uow.claims.get(claim_id, lock=True)


def check_no_other_payout(uow: UnitOfWork, claim: Claim) -> None:
    if uow.claims.has_payout(claim.membership_id):
        raise RuleViolation(
            [Violation("already-paid-out", "this membership has already received its payout")]
        )


def approve(
    uow: UnitOfWork,
    claim_id: int,
    by: str,
    now: datetime,
    *,
    announce: bool | None = None,
    payout: PayoutOverride | None = None,
) -> Claim:
    """Approve a claim: announce it for objections, or (announce=False) make it final at once,
    ending the member's cover in the plan with the payout (the plan's rule unless an operator
    overrides it, see `claim_payout`)."""
    claim = hold(uow, claim_id)
    require(claim, OPEN_STATES, "approved")
    check_no_other_payout(uow, claim)
    plan = current_plan(uow, claim, now)
    set_payout(uow, plan, claim, payout, by, now)
    if DEFAULT_ANNOUNCE if announce is None else announce:
        return announce_case(uow, claim, plan, by, now)
    before = claim.state
    claim.decide(ClaimState.APPROVED, by=by, at=now)
    uow.claims.save_decision(claim)
    _make_final(uow, claim, now)
    # No objection window, but the case is still announced in the public log: every claim a
    # round shares must be there for `huzhu verify` (issue 9).
    publish_card(uow, claim, now, window_end=now)
    paid = {"payout_fen": claim.payout or 0}
    step(uow, claim, before, "approved", by, now, ("claim.approved", paid))
    return claim


def announce_case(uow: UnitOfWork, claim: Claim, plan: Plan, by: str, now: datetime) -> Claim:
    """Put the case on public announcement; objections are taken until the window closes."""
    assert claim.id is not None
    before = claim.state
    claim.decide(ClaimState.ANNOUNCED, by=by, at=now)
    uow.claims.save_decision(claim)
    wf = uow.workflow.get(claim.id)
    wf.window_ends_at = deadline(now, plan.claims.objection_window_days)
    wf.appeal_until = None
    wf.documents_due = None
    uow.workflow.save(wf)
    publish_card(uow, claim, now, window_end=wf.window_ends_at)
    params = {"payout_fen": claim.payout or 0, "window_ends_at": wf.window_ends_at.isoformat()}
    step(uow, claim, before, "announced", by, now, ("claim.announced", params))
    return claim


def _make_final(uow: UnitOfWork, claim: Claim, at: datetime) -> None:
    """The decision is final: the member's cover in the plan ends with the payout."""
    assert claim.id is not None
    wf = uow.workflow.get(claim.id)
    wf.final_at = at
    wf.appeal_until = None
    uow.workflow.save(wf)
    membership = uow.memberships.get(claim.membership_id, lock=True)
    if membership.lifecycle is not Lifecycle.LEFT:
        membership.leave(LeaveReason.PAID_OUT, at)
        uow.memberships.save_leave(membership)


def finalize_announced(uow: UnitOfWork, plan_id: str | None, until: datetime) -> int:
    """Make final the announcements whose objection window closed at or before `until` with no
    objection pending or upheld, so that the round locking at `until` shares them. Returns how
    many. The decision counts from the window's close (or the last objection's dismissal)."""
    done = 0
    for claim_id in uow.workflow.windows_closed(plan_id, until):
        claim = hold(uow, claim_id)
        if claim.state is not ClaimState.ANNOUNCED:
            continue  # decided by a racing request while this one waited for the row
        # Objections to this announcement (a case re-announced after a jury starts afresh).
        since = claim.decided_at
        objections = [
            o for o in uow.objections.for_claim(claim_id) if since is None or o.created_at >= since
        ]
        if any(o.status is not ObjectionStatus.DISMISSED for o in objections):
            continue
        closed = uow.workflow.get(claim_id).window_ends_at
        assert closed is not None
        at = max([closed, *(o.reviewed_at for o in objections if o.reviewed_at)])
        before = claim.move(ClaimState.APPROVED)
        uow.claims.save_decision(claim)
        _make_final(uow, claim, at)
        message = ("claim.final", {"payout_fen": claim.payout or 0})
        step(uow, claim, before, "approved", "objection-window", at, message)
        done += 1
    return done


def reject(
    uow: UnitOfWork, claim_id: int, by: str, reason_code: str, reason_text: str, now: datetime
) -> Claim:
    """Reject with a reason code and an explanation; the rule it rests on is quoted when known.
    The claimant may appeal within the plan's `appeal_days` (once: not after a jury ruled)."""
    if not reason_code.strip() or not reason_text.strip():
        raise InvalidInput(
            "a rejection needs a reason code and an explanation for the member",
            code="missing-field",
            field="reason",
        )
    claim = hold(uow, claim_id)
    require(claim, OPEN_STATES, "rejected")
    before = claim.state
    plan = current_plan(uow, claim, now)
    quote = rule_quote(plan, reason_code.strip())
    text = f"{reason_text.strip()} — rule: {quote}" if quote else reason_text.strip()
    claim.decide(ClaimState.REJECTED, by=by, at=now, reason_code=reason_code, reason_text=text)
    uow.claims.save_decision(claim)
    return rejected(uow, claim, before, plan, by, now, words=reason_text.strip())


def rejected(
    uow: UnitOfWork,
    claim: Claim,
    before: ClaimState,
    plan: Plan,
    by: str,
    now: datetime,
    *,
    words: str,
) -> Claim:
    """After a rejection: open the appeal window (unless a jury has already ruled), tell them.
    `words`: what the person who decided wrote for the member; the message words the rest."""
    assert claim.id is not None
    wf = uow.workflow.get(claim.id)
    wf.documents_due = None
    wf.appeal_until = None if wf.jury_decided else deadline(now, plan.claims.appeal_days)
    uow.workflow.save(wf)
    params: dict[str, Any] = {"reason_code": claim.reason_code, "reason": words}
    if wf.appeal_until:
        params["appeal_until_at"] = wf.appeal_until.isoformat()
    kind = "claim.rejected" if wf.appeal_until else "claim.rejected-final"
    step(uow, claim, before, "rejected", by, now, (kind, params))
    return claim
