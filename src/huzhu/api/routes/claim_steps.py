"""The steps of a claim after submission: assignment, documents, findings, announcement,
withdrawal, reopening, its history and fraud flags, and applying deadlines."""

from __future__ import annotations

from fastapi import APIRouter

from huzhu.api.deps import Caller, Now, Uow
from huzhu.api.params import ClaimId
from huzhu.api.problems import ERROR_RESPONSES
from huzhu.api.schemas_claims import (
    AssignIn,
    ClaimEventOut,
    ClaimOut,
    DocumentsIn,
    FindingsIn,
    FlagOut,
    PayoutIn,
    ReasonIn,
    SweepIn,
    SweepOut,
    WorkflowOut,
)
from huzhu.api.views import claim_out
from huzhu.domain.access import Role
from huzhu.services.claims import access, decisions
from huzhu.services.claims import investigation as inv
from huzhu.services.claims.flags import claim_flags
from huzhu.services.claims.payout import PayoutOverride

router = APIRouter(prefix="/v1/claims", tags=["claims"], responses=ERROR_RESPONSES)

# What the claimant does not see of their claim's history: internal findings, who did what.
INTERNAL = frozenset({"findings"})


@router.post("/finalize")
def apply_deadlines(body: SweepIn, principal: Caller, uow: Uow, now: Now) -> SweepOut:
    """Apply every passed deadline (operators, reviewers): requested documents that did not arrive
    reject their claim; announcements whose window closed with no objection upheld become final.
    Rounds do the second themselves before they take claims."""
    principal.require(Role.OPERATOR, Role.REVIEWER)
    expired, final = inv.sweep(uow, body.plan_id, now)
    uow.commit()
    return SweepOut(documents_expired=expired, made_final=final)


@router.post("/{claim_id}/announce")
def announce(
    claim_id: ClaimId, principal: Caller, uow: Uow, now: Now, body: PayoutIn | None = None
) -> ClaimOut:
    """Approve and put the case on public announcement for the plan's objection window; it
    becomes final (and joins a round) once the window closes with no objection upheld."""
    access.decider(uow, principal, claim_id)
    payout = None
    if body is not None and body.payout_fen is not None:
        operator = principal.has(Role.OPERATOR)
        payout = PayoutOverride(body.payout_fen, body.reason, by_operator=operator)
    claim = decisions.approve(
        uow, claim_id, access.actor(principal), now, announce=True, payout=payout
    )
    access.log(uow, principal, claim, "claim.announced", now)
    out = claim_out(claim)
    uow.commit()
    return out


@router.post("/{claim_id}/assign")
def assign(claim_id: ClaimId, body: AssignIn, principal: Caller, uow: Uow, now: Now) -> ClaimOut:
    """Assign the claim to a reviewer or a third-party investigator's account."""
    access.staff(uow, principal, claim_id, Role.REVIEWER, Role.OPERATOR)
    claim = inv.assign(uow, claim_id, body.account_id, access.actor(principal), now)
    access.log(uow, principal, claim, "claim.assigned", now, account_id=body.account_id)
    out = claim_out(claim)
    uow.commit()
    return out


@router.post("/{claim_id}/documents-request")
def request_documents(
    claim_id: ClaimId, body: DocumentsIn, principal: Caller, uow: Uow, now: Now
) -> ClaimOut:
    """Ask the claimant for documents by a deadline (the assigned investigator, or a reviewer)."""
    access.investigator(uow, principal, claim_id)
    claim = inv.request_documents(
        uow, claim_id, body.what, access.actor(principal), now, days=body.days
    )
    access.log(uow, principal, claim, "claim.documents_requested", now)
    out = claim_out(claim)
    uow.commit()
    return out


@router.post("/{claim_id}/findings", status_code=201)
def findings(
    claim_id: ClaimId, body: FindingsIn, principal: Caller, uow: Uow, now: Now
) -> ClaimOut:
    """Record the investigation's findings (kept for the reviewers, not shown to the claimant);
    answers the claim."""
    access.investigator(uow, principal, claim_id)
    claim = inv.record_findings(uow, claim_id, body.text, access.actor(principal), now)
    access.log(uow, principal, claim, "claim.findings", now)
    out = claim_out(claim)
    uow.commit()
    return out


@router.post("/{claim_id}/withdraw")
def withdraw(claim_id: ClaimId, principal: Caller, uow: Uow, now: Now) -> ClaimOut:
    """The claimant (or guardian) withdraws the claim before a final decision."""
    access.own_claim(uow, principal, claim_id)
    claim = inv.withdraw(uow, claim_id, access.actor(principal), now)
    access.log(uow, principal, claim, "claim.withdrawn", now)
    out = claim_out(claim)
    uow.commit()
    return out


@router.post("/{claim_id}/reopen")
def reopen(claim_id: ClaimId, body: ReasonIn, principal: Caller, uow: Uow, now: Now) -> ClaimOut:
    """A reviewer reopens a rejected case, saying why: it goes back under investigation."""
    access.decider(uow, principal, claim_id)
    claim = inv.reopen(uow, claim_id, access.actor(principal), body.reason, now)
    access.log(uow, principal, claim, "claim.reopened", now)
    out = claim_out(claim)
    uow.commit()
    return out


@router.get("/{claim_id}/workflow")
def workflow(claim_id: ClaimId, principal: Caller, uow: Uow) -> WorkflowOut:
    """Deadlines, assignment and the history of the claim."""
    claim, as_staff = access.visible(uow, principal, claim_id)
    wf = uow.workflow.get(claim_id)
    events = [
        ClaimEventOut(
            at=e.at,
            action=e.action,
            from_state=e.from_state,
            to_state=e.to_state,
            actor=e.actor if as_staff else None,
            details=e.details if as_staff else {},
        )
        for e in uow.workflow.events(claim_id)
        if as_staff or e.action not in INTERNAL
    ]
    return WorkflowOut(
        claim=claim_out(claim),
        assignee_account_id=wf.assignee_account_id if as_staff else None,
        documents_due=wf.documents_due,
        documents_requested=wf.documents_note,
        objections_until=wf.window_ends_at,
        appeal_until=wf.appeal_until,
        final_at=wf.final_at,
        jury_decided=wf.jury_decided,
        events=events,
    )


@router.get("/{claim_id}/flags")
def flags(claim_id: ClaimId, principal: Caller, uow: Uow) -> list[FlagOut]:
    """Fraud signals for the reviewers: flags to look into, never a rejection by themselves."""
    staff = (Role.REVIEWER, Role.OPERATOR, Role.AUDITOR)
    if not principal.has(*staff) and not access.assigned(uow, principal, claim_id):
        principal.require(*staff)
    access.visible(uow, principal, claim_id)
    return [FlagOut(code=f.code, message=f.message) for f in claim_flags(uow, claim_id)]
