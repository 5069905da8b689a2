"""Claims: members submit and follow their own; reviewers work the queue and decide."""

from __future__ import annotations

from fastapi import APIRouter

from huzhu.api.deps import Caller, Now, Uow
from huzhu.api.pagination import Cursor, Limit, Page, decode, page
from huzhu.api.params import PathId, PlanFilter
from huzhu.api.problems import ERROR_RESPONSES
from huzhu.api.schemas_claims import ClaimIn, ClaimOut, RejectIn
from huzhu.api.views import claim_out
from huzhu.domain.access import Principal, Role, check_may_decide
from huzhu.domain.claims import Claim, ClaimState
from huzhu.services.accounts import ownership
from huzhu.services.claims import decisions, submission
from huzhu.services.events import notify_person, record
from huzhu.storage.uow import UnitOfWork

router = APIRouter(prefix="/v1/claims", tags=["claims"], responses=ERROR_RESPONSES)


def _announce(uow: UnitOfWork, principal: Principal, claim: Claim, action: str, now: Now) -> None:
    details = {"claim_id": claim.id, "state": claim.state.value, "reason_code": claim.reason_code}
    record(uow, principal.account_id, action, f"claim:{claim.id}", details, now)
    person_id = uow.memberships.get(claim.membership_id).person_id
    notify_person(uow, person_id, "claim.status_changed", details, now)


@router.post("", status_code=201)
def submit(body: ClaimIn, principal: Caller, uow: Uow, now: Now) -> ClaimOut:
    """Submit a claim for your own or a dependant's membership. Plan rules are checked at once."""
    m = ownership.membership(uow, principal, body.membership_id, write=True)
    assert m.id is not None
    claim = submission.submit(
        uow,
        submission.ClaimRequest(
            membership_id=m.id,
            condition_code=body.condition_code,
            diagnosis_date=body.diagnosis_date,
            hospital=body.hospital,
            evidence=tuple(body.evidence),
            disability_grade=body.disability_grade,
            cause=body.cause,
        ),
        now,
    )
    _announce(uow, principal, claim, "claim.submitted", now)
    out = claim_out(claim)
    uow.commit()
    return out


@router.get("")
def list_claims(
    principal: Caller,
    uow: Uow,
    plan_id: PlanFilter = None,
    state: ClaimState | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[ClaimOut]:
    """Members see their own and their dependants' claims; reviewers see the whole queue."""
    membership_ids = None
    if not (principal.sees_everything or principal.has(Role.REVIEWER)):
        person_ids = ownership.own_person_ids(uow, principal)
        membership_ids = uow.memberships.ids_of_people(person_ids)
    found = uow.claims.list(
        plan_id=plan_id,
        state=state,
        membership_ids=membership_ids,
        after_id=decode(cursor),
        limit=limit,
    )
    return page([claim_out(c) for c in found], limit, found[-1].id if found else None)


@router.get("/{claim_id}")
def one_claim(claim_id: PathId, principal: Caller, uow: Uow) -> ClaimOut:
    return claim_out(ownership.claim(uow, principal, claim_id))


def _decidable(uow: UnitOfWork, principal: Principal, claim_id: int) -> Claim:
    principal.require(Role.REVIEWER)
    claim = ownership.claim(uow, principal, claim_id)
    person = uow.people.get(uow.memberships.get(claim.membership_id).person_id)
    assert person.id is not None
    check_may_decide(principal, person.id, person.guardian_id)
    return claim


@router.post("/{claim_id}/approve")
def approve(claim_id: PathId, principal: Caller, uow: Uow, now: Now) -> ClaimOut:
    """Approve a submitted claim (reviewers; never their own or a dependant's)."""
    _decidable(uow, principal, claim_id)
    claim = decisions.approve(uow, claim_id, f"account:{principal.account_id}", now)
    _announce(uow, principal, claim, "claim.approved", now)
    out = claim_out(claim)
    uow.commit()
    return out


@router.post("/{claim_id}/reject")
def reject(claim_id: PathId, body: RejectIn, principal: Caller, uow: Uow, now: Now) -> ClaimOut:
    """Reject with a reason code and an explanation that quotes the rule."""
    _decidable(uow, principal, claim_id)
    claim = decisions.reject(
        uow, claim_id, f"account:{principal.account_id}", body.reason_code, body.explanation, now
    )
    _announce(uow, principal, claim, "claim.rejected", now)
    out = claim_out(claim)
    uow.commit()
    return out
