"""Deciding claims: approve (announce, then final), reject.

Approving a claim either announces it for objections for the plan's window
(`[claims] objection_window_days`, default 3 days) or, as the engine always did, makes it final at
once. `approve(announce=None)` follows `DEFAULT_ANNOUNCE`; `finalize_announced`, which every round
calls before it takes approved claims, makes final each announcement whose window has closed with
no objection pending or upheld. A jury that overturns a rejection always announces the case."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from huzhu.domain.claims import OPEN_STATES, Claim, ClaimState, deadline, rule_quote
from huzhu.domain.errors import InvalidInput
from huzhu.domain.members import LeaveReason, Lifecycle
from huzhu.domain.plans import Plan
from huzhu.services.claims.cards import publish_card
from huzhu.services.claims.payout import PayoutOverride, set_payout
from huzhu.services.claims.service import check_no_other_payout, current_plan, hold, require, step
from huzhu.storage.repositories.claims.review import ObjectionStatus
from huzhu.storage.uow import UnitOfWork

# What `approve()` does when not told: False keeps the engine's original meaning (final at once).
DEFAULT_ANNOUNCE = False


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
