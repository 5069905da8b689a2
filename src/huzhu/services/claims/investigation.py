"""Investigating a claim: assignment, requests for documents with a deadline, findings, the
deadline sweep, and the claimant's withdrawal and a reviewer's reopening of a rejected case."""

from __future__ import annotations

from datetime import datetime

from huzhu.domain.claims import OPEN_STATES, Claim, ClaimState, deadline, rule_quote
from huzhu.domain.errors import Forbidden, InvalidInput, NotFound
from huzhu.services.claims.decisions import finalize_announced, rejected
from huzhu.services.claims.service import Message, claimant_id, current_plan, hold, require, step
from huzhu.storage.uow import UnitOfWork

DOCUMENTS_DEADLINE = "documents-deadline"  # the actor of a rejection for missing documents
INVESTIGATED = frozenset({ClaimState.SUBMITTED, ClaimState.UNDER_INVESTIGATION})


def assign(uow: UnitOfWork, claim_id: int, account_id: int, by: str, now: datetime) -> Claim:
    """Give the claim to a reviewer or a third-party investigator's account (not the claimant's
    or their guardian's). A submitted claim goes under investigation."""
    claim = hold(uow, claim_id)
    require(claim, OPEN_STATES, "assigned")
    try:
        account = uow.accounts.get(account_id)
    except NotFound:
        raise NotFound(
            f"no account {account_id}", code="unknown-account", field="account_id"
        ) from None
    if account.disabled_at is not None:
        raise InvalidInput("that account is disabled", code="account-disabled", field="account_id")
    person = uow.people.get(claimant_id(uow, claim))
    if account.person_id is not None and account.person_id in (person.id, person.guardian_id):
        raise Forbidden(
            "a claim cannot be assigned to the claimant or their guardian",
            code="conflict-of-interest",
            field="account_id",
        )
    wf = uow.workflow.get(claim_id)
    wf.assignee_account_id = account_id
    uow.workflow.save(wf)
    before = claim.state
    message: Message | None = None
    if claim.state is ClaimState.SUBMITTED:
        claim.move(ClaimState.UNDER_INVESTIGATION)
        uow.claims.save_decision(claim)
        message = ("claim.assigned", {})
    step(uow, claim, before, "assigned", by, now, message, account_id=account_id)
    return claim


def request_documents(
    uow: UnitOfWork, claim_id: int, what: str, by: str, now: datetime, days: int | None = None
) -> Claim:
    """Ask the claimant for documents by a deadline (default: the plan's `documents_days`)."""
    if not what.strip():
        raise InvalidInput("say which documents are needed", code="missing-field", field="what")
    claim = hold(uow, claim_id)
    require(claim, INVESTIGATED, "sent a request for documents")
    plan = current_plan(uow, claim, now)
    days = plan.claims.documents_days if days is None else days
    if not 1 <= days <= 180:
        raise InvalidInput("the deadline must be 1 to 180 days away", field="days")
    before = claim.move(ClaimState.DOCUMENTS_REQUESTED)
    uow.claims.save_decision(claim)
    wf = uow.workflow.get(claim_id)
    wf.documents_due = deadline(now, days)
    wf.documents_note = what.strip()
    uow.workflow.save(wf)
    params = {"what": wf.documents_note, "documents_due_at": wf.documents_due.isoformat()}
    message = ("claim.documents-requested", params)
    step(uow, claim, before, "documents-requested", by, now, message, what=wf.documents_note)
    return claim


def documents_received(uow: UnitOfWork, claim: Claim, by: str, now: datetime) -> None:
    """New evidence answers a request for documents: back under investigation."""
    assert claim.id is not None
    before = claim.move(ClaimState.UNDER_INVESTIGATION)
    uow.claims.save_decision(claim)
    wf = uow.workflow.get(claim.id)
    wf.documents_due = None
    uow.workflow.save(wf)
    step(uow, claim, before, "documents-received", by, now, ("claim.documents-received", {}))


def record_findings(uow: UnitOfWork, claim_id: int, text: str, by: str, now: datetime) -> Claim:
    """The investigator's findings, kept in the claim's history for the reviewers."""
    if not text.strip():
        raise InvalidInput("the findings are empty", code="missing-field", field="text")
    claim = hold(uow, claim_id)
    require(claim, OPEN_STATES | {ClaimState.JURY}, "given findings")
    step(uow, claim, claim.state, "findings", by, now, None, text=text.strip())
    return claim


def expire_documents(uow: UnitOfWork, plan_id: str | None, now: datetime) -> int:
    """Claims whose documents did not arrive by the deadline are rejected (appealable)."""
    done = 0
    for claim_id in uow.workflow.documents_overdue(plan_id, now):
        claim = hold(uow, claim_id)
        wf = uow.workflow.get(claim_id)
        if claim.state is not ClaimState.DOCUMENTS_REQUESTED or wf.documents_due is None:
            continue  # answered or decided while this sweep waited for the row
        if wf.documents_due > now:
            continue
        plan = current_plan(uow, claim, now)
        quote = rule_quote(plan, "documents-not-provided")
        text = f"the documents requested ({wf.documents_note}) did not arrive by "
        text += f"{wf.documents_due.isoformat()} — rule: {quote}"
        before = claim.state
        claim.decide(
            ClaimState.REJECTED,
            by=DOCUMENTS_DEADLINE,
            at=wf.documents_due,
            reason_code="documents-not-provided",
            reason_text=text,
        )
        uow.claims.save_decision(claim)
        what = wf.documents_note or ""
        rejected(uow, claim, before, plan, DOCUMENTS_DEADLINE, now, words=what)
        done += 1
    return done


def sweep(uow: UnitOfWork, plan_id: str | None, now: datetime) -> tuple[int, int]:
    """Apply every deadline that has passed: (documents expired, announcements made final)."""
    return expire_documents(uow, plan_id, now), finalize_announced(uow, plan_id, now)


def withdraw(uow: UnitOfWork, claim_id: int, by: str, now: datetime) -> Claim:
    """The claimant withdraws a claim before a final decision; an open jury is dissolved."""
    claim = hold(uow, claim_id)
    before = claim.state
    claim.decide(ClaimState.WITHDRAWN, by=by, at=now, reason_code="withdrawn")
    uow.claims.save_decision(claim)
    wf = uow.workflow.get(claim_id)
    wf.documents_due = wf.appeal_until = None
    uow.workflow.save(wf)
    for jury in uow.juries.for_claim(claim_id):
        if jury.is_open:
            uow.juries.dissolve(jury.id, now)
    step(uow, claim, before, "withdrawn", by, now, ("claim.withdrawn", {}))
    return claim


def reopen(uow: UnitOfWork, claim_id: int, by: str, reason: str, now: datetime) -> Claim:
    """A reviewer reopens a rejected case (including one rejected on an upheld objection): it goes
    back under investigation and is decided again; the earlier appeal window closes."""
    if not reason.strip():
        raise InvalidInput("say why the case is reopened", code="missing-field", field="reason")
    claim = hold(uow, claim_id)
    require(claim, frozenset({ClaimState.REJECTED}), "reopened")
    before = claim.state
    claim.decide(
        ClaimState.UNDER_INVESTIGATION,
        by=by,
        at=now,
        reason_code="reopened",
        reason_text=reason.strip(),
    )
    uow.claims.save_decision(claim)
    wf = uow.workflow.get(claim_id)
    wf.appeal_until = None
    uow.workflow.save(wf)
    step(uow, claim, before, "reopened", by, now, ("claim.reopened", {"reason": reason.strip()}))
    return claim
