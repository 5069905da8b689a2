"""Public round reports and announcements, and the members' objections to announced cases."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from huzhu.domain.errors import NotFound
from huzhu.domain.plan_fields import local_date
from huzhu.services.claims.access import object_as
from huzhu.services.claims.cards import announced_cards, round_cards
from huzhu.services.record import public_record
from huzhu.web.deps import Form, FormVisit, PageVisit, text
from huzhu.web.errors import HtmlRoute

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
ANNOUNCED_PER_PAGE = 50
MAX_ID = 2**53


@router.get("/rounds/{round_id}", response_class=HTMLResponse)
def round_report(round_id: int, visit: PageVisit) -> HTMLResponse:
    uow = visit.uow
    found = uow.rounds.get(round_id) if 0 < round_id < MAX_ID else None
    if found is None:
        raise NotFound(f"no round {round_id}", code="unknown-round", field="round")
    seq, digest = public_record.chain_head(uow)
    plan = uow.plans.get(found.plan_id, local_date(visit.now))
    return visit.page(
        "portal/public/round.html",
        round=found,
        plan=plan,
        cards=round_cards(uow, round_id),
        chain_seq=seq,
        chain_digest=digest,
        merkle=uow.merkle_trees.merkle(round_id),
    )


@router.get("/announcements", response_class=HTMLResponse)
def announcements(visit: PageVisit, plan: str | None = None, after: int = 0) -> HTMLResponse:
    uow = visit.uow
    cards = announced_cards(uow, plan, visit.now, ANNOUNCED_PER_PAGE, max(0, min(after, MAX_ID)))
    member_of: set[str] = set()
    person_id = visit.principal.person_id if visit.principal else None
    if person_id is not None:
        for plan_id in {c["plan_id"] for c in cards}:
            if uow.memberships.live_person_ids(plan_id, [person_id]):
                member_of.add(plan_id)
    return visit.page(
        "portal/public/announcements.html",
        cards=cards,
        member_of=member_of,
        plan_filter=plan,
        next_after=cards[-1]["claim_id"] if len(cards) == ANNOUNCED_PER_PAGE else None,
        objected=visit.request.query_params.get("objected"),
    )


@router.post("/announcements/{claim_id}/object")
def object_to(claim_id: int, visit: FormVisit, form: Form) -> Response:
    principal = visit.member
    if not 0 < claim_id < MAX_ID:
        raise NotFound(f"no claim {claim_id}", code="unknown-claim", field="claim")
    object_as(visit.uow, principal, claim_id, text(form, "reason"), visit.now)
    visit.uow.commit()
    return visit.redirect(f"/announcements?objected={claim_id}")
