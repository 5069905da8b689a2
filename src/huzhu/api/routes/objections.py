"""Public announcements of approved cases, and the members' objections to them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from huzhu.api.deps import Caller, Now, Uow
from huzhu.api.pagination import Cursor, Limit, Page, decode, page
from huzhu.api.params import ClaimId, ItemId, PlanFilter
from huzhu.api.problems import ERROR_RESPONSES
from huzhu.api.schemas import money
from huzhu.api.schemas_claims import (
    AnnouncementOut,
    ObjectionOut,
    ObjectionReviewIn,
    PayoutOverrideOut,
    ReasonIn,
)
from huzhu.domain.access import Role
from huzhu.domain.errors import NotFound
from huzhu.domain.identity import mask_name, province_name
from huzhu.domain.plan_fields import local_date
from huzhu.plans.loader import load_catalogue
from huzhu.services.claims import access
from huzhu.services.claims import objections as svc
from huzhu.services.claims.payout import override_details
from huzhu.storage.repositories.claims.review import Objection
from huzhu.storage.uow import UnitOfWork

router = APIRouter(tags=["announcements"], responses=ERROR_RESPONSES)


def _override(uow: UnitOfWork, row: Any) -> PayoutOverrideOut | None:
    found = override_details(uow, row.id)
    if found is None or found.get("payout") != row.payout:
        return None
    rule = found.get("rule_payout")
    return PayoutOverrideOut(
        rule_payout=money(rule) if rule is not None else None, reason=str(found.get("reason"))
    )


def _card(uow: UnitOfWork, row: Any) -> AnnouncementOut:
    return AnnouncementOut(
        claim_id=row.id,
        plan_id=row.plan_id,
        name=mask_name(row.name),
        condition_code=row.condition_code,
        condition=load_catalogue().get(row.condition_code).zh,
        age=row.age_at_diagnosis,
        sex=row.sex,
        province=province_name(row.province_code) if row.province_code else None,
        payout=money(row.payout or 0),
        days_since_joining=(row.diagnosis_date - local_date(row.joined_at)).days,
        diagnosis_date=row.diagnosis_date,
        objections_until=row.window_ends_at,
        payout_override=_override(uow, row),
    )


def objection_out(o: Objection, as_staff: bool) -> ObjectionOut:
    return ObjectionOut(
        id=o.id,
        claim_id=o.claim_id,
        reason=o.reason,
        created_at=o.created_at,
        status=o.status.value,
        review_note=o.review_note,
        reviewed_at=o.reviewed_at,
        objector_person_id=o.person_id if as_staff else None,
    )


@router.get("/v1/announcements")
def announcements(
    uow: Uow,
    now: Now,
    plan_id: PlanFilter = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[AnnouncementOut]:
    """Cases on public announcement now (public): any member of the plan may object until
    `objections_until`. Names are masked."""
    rows = uow.workflow.announced(plan_id, now, limit, decode(cursor))
    return page([_card(uow, r) for r in rows], limit, rows[-1].id if rows else None)


@router.post("/v1/claims/{claim_id}/objections", status_code=201)
def object_to(
    claim_id: ClaimId, body: ReasonIn, principal: Caller, uow: Uow, now: Now
) -> ObjectionOut:
    """Object to an announced case, with a reason, while its window is open (members of the
    plan). The claimant is told the reason, never who objected."""
    objection = access.object_as(uow, principal, claim_id, body.reason, now)
    uow.commit()
    return objection_out(objection, as_staff=False)


@router.get("/v1/claims/{claim_id}/objections")
def objections(claim_id: ClaimId, principal: Caller, uow: Uow) -> list[ObjectionOut]:
    """The objections to a case: for the claimant (without who objected) and the reviewers."""
    _, as_staff = access.visible(uow, principal, claim_id)
    return [objection_out(o, as_staff) for o in uow.objections.for_claim(claim_id)]


@router.post("/v1/objections/{objection_id}/review")
def review(
    objection_id: ItemId, body: ObjectionReviewIn, principal: Caller, uow: Uow, now: Now
) -> ObjectionOut:
    """Uphold (the claim is rejected, appealable) or dismiss an objection (reviewers, never on
    their own or a dependant's claim)."""
    principal.require(Role.REVIEWER)
    try:
        found = uow.objections.get(objection_id)
    except NotFound:
        raise access.hidden("objection", objection_id) from None
    access.decider(uow, principal, found.claim_id)
    outcome = svc.Outcome(body.outcome)
    done = svc.review(uow, objection_id, outcome, body.explanation, access.actor(principal), now)
    claim = uow.claims.get(found.claim_id)
    access.log(uow, principal, claim, f"claim.objection_{done.status.value}", now)
    uow.commit()
    return objection_out(done, as_staff=True)
