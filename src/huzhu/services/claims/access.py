"""Who may see and do what with a claim in its workflow. What the caller may not see answers 404,
like what does not exist; a step that needs a role the caller lacks answers 403 role-required.

- the claimant (or their guardian) sees the claim, its evidence and history, and acts on it;
- the account the claim is assigned to (a reviewer or a third-party investigator) sees it and its
  evidence, asks for documents and records findings;
- reviewers see every claim and decide, never their own or a dependant's;
- operators and auditors read everything; evidence is never public.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from huzhu.domain.access import Principal, Role, check_may_decide, may_act_for
from huzhu.domain.claims import Claim
from huzhu.domain.errors import Forbidden, NotFound, RuleViolation, Violation
from huzhu.domain.members import Person
from huzhu.services.claims import objections
from huzhu.services.events import notify_person, record
from huzhu.storage.repositories.claims.review import Objection
from huzhu.storage.uow import UnitOfWork


def hidden(kind: str, id_: int) -> NotFound:
    return NotFound(f"no {kind} {id_}", code=f"unknown-{kind}", field=kind)


def actor(principal: Principal) -> str:
    return f"account:{principal.account_id}"


def claim_and_claimant(uow: UnitOfWork, claim_id: int) -> tuple[Claim, Person]:
    try:
        claim = uow.claims.get(claim_id)
    except NotFound:
        raise hidden("claim", claim_id) from None
    return claim, uow.people.get(uow.memberships.get(claim.membership_id).person_id)


def owns(principal: Principal, claimant: Person) -> bool:
    assert claimant.id is not None
    return may_act_for(principal, claimant.id, claimant.guardian_id)


def assigned(uow: UnitOfWork, principal: Principal, claim_id: int) -> bool:
    return uow.workflow.get(claim_id).assignee_account_id == principal.account_id


def visible(uow: UnitOfWork, principal: Principal, claim_id: int) -> tuple[Claim, bool]:
    """The claim and whether the caller sees it as staff (reviewer, assignee, operator, auditor)
    rather than as its claimant."""
    claim, claimant = claim_and_claimant(uow, claim_id)
    if principal.sees_everything or principal.has(Role.REVIEWER):
        return claim, True
    if assigned(uow, principal, claim_id):
        return claim, True
    if owns(principal, claimant):
        return claim, False
    raise hidden("claim", claim_id)


def own_claim(uow: UnitOfWork, principal: Principal, claim_id: int) -> Claim:
    """A claim the caller makes as claimant (or guardian): others get 404."""
    claim, claimant = claim_and_claimant(uow, claim_id)
    if not owns(principal, claimant):
        raise hidden("claim", claim_id)
    return claim


def evidence_reader(uow: UnitOfWork, principal: Principal, claim_id: int) -> tuple[Claim, bool]:
    """Evidence is read by the claimant, the assigned account, operators and auditors only."""
    claim, claimant = claim_and_claimant(uow, claim_id)
    if principal.sees_everything or assigned(uow, principal, claim_id):
        return claim, True
    if owns(principal, claimant):
        return claim, False
    raise hidden("claim", claim_id)


def investigator(uow: UnitOfWork, principal: Principal, claim_id: int) -> Claim:
    """The assigned account, or a reviewer with no conflict of interest."""
    if not principal.has(Role.REVIEWER):
        try:
            if assigned(uow, principal, claim_id):
                return uow.claims.get(claim_id)
        except NotFound:
            pass
        principal.require(Role.REVIEWER)
    return decider(uow, principal, claim_id)


def decider(uow: UnitOfWork, principal: Principal, claim_id: int) -> Claim:
    """A reviewer deciding a claim that is not their own or a dependant's."""
    principal.require(Role.REVIEWER)
    claim, claimant = claim_and_claimant(uow, claim_id)
    assert claimant.id is not None
    check_may_decide(principal, claimant.id, claimant.guardian_id)
    return claim


def staff(uow: UnitOfWork, principal: Principal, claim_id: int, *roles: Role) -> Claim:
    """A caller with one of `roles` who is not the claimant or their guardian."""
    principal.require(*roles)
    claim, claimant = claim_and_claimant(uow, claim_id)
    me = principal.person_id
    if me is not None and me in (claimant.id, claimant.guardian_id):
        raise Forbidden(
            "nobody acts on their own claim or a dependant's", code="conflict-of-interest"
        )
    return claim


def log(
    uow: UnitOfWork, principal: Principal, claim: Claim, action: str, now: datetime, **extra: Any
) -> None:
    """The audit log, and a webhook to the claimant's host app."""
    details = {
        "claim_id": claim.id,
        "state": claim.state.value,
        "reason_code": claim.reason_code,
        **extra,
    }
    record(uow, principal.account_id, action, f"claim:{claim.id}", details, now)
    person_id = uow.memberships.get(claim.membership_id).person_id
    notify_person(uow, person_id, "claim.status_changed", details, now)


def object_as(
    uow: UnitOfWork, principal: Principal, claim_id: int, reason: str, now: datetime
) -> Objection:
    """Object to an announced case as a member of its plan; the claimant never learns who."""
    try:
        claim = uow.claims.get(claim_id)
    except NotFound:
        raise hidden("claim", claim_id) from None
    if uow.workflow.get(claim_id).window_ends_at is None:
        # Never announced: its existence is not public.
        visible(uow, principal, claim_id)
    if principal.person_id is None:
        raise RuleViolation(
            [Violation("not-a-member", "only members of the plan may object", "person")]
        )
    objection = objections.object_to(uow, claim_id, principal.person_id, reason, now)
    log(uow, principal, claim, "claim.objection", now, objection_id=objection.id)
    return objection
