"""The steps every claim use case shares: lock a claim the one safe way (`hold`), refuse a step
its state does not allow (`require`), record a step and tell the claimant (`step`), and read the
plan in force. Submission is in `submission`, approve and reject in `decisions`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from huzhu.domain.claims import Claim, ClaimState
from huzhu.domain.errors import Conflict, RuleViolation, Violation
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plans import Plan
from huzhu.services.messaging.notify import tell
from huzhu.storage.uow import UnitOfWork

# A message to the claimant: its kind and parameters (huzhu.messages).
Message = tuple[str, dict[str, Any]]


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
