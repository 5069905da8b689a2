"""Jury duty: the case as jurors see it (no personal data, no evidence), and the sealed vote."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from huzhu.domain.errors import Forbidden, HuzhuError, InvalidInput, NotFound
from huzhu.domain.jury import Vote
from huzhu.services.claims import jury as svc
from huzhu.services.claims import public_jury
from huzhu.services.claims.cards import case_card
from huzhu.web.deps import Form, FormVisit, PageVisit, Visit, text
from huzhu.web.errors import HtmlRoute
from huzhu.web.forms import refusal
from huzhu.web.portal.memberships import MAX_ID

router = APIRouter(prefix="/me/jury", route_class=HtmlRoute, include_in_schema=False)


def _duties(visit: Visit) -> list[dict[str, Any]]:
    person_id = visit.member.person_id
    if person_id is None:
        return []
    uow = visit.uow
    found = []
    public = [
        (jury, "voted" if voted else "drawn")
        for jury, voted in public_jury.open_to(uow, person_id, visit.now)
    ]
    drawn = [(jury, seat.status.value) for jury, seat in uow.juries.duties([person_id])]
    for jury, seat in [*public, *drawn]:
        claim = uow.claims.get(jury.claim_id)
        statements = [
            e.details.get("statement")
            for e in uow.workflow.events(jury.claim_id)
            if e.action == "appealed"
        ]
        card = case_card(uow, jury.claim_id)
        del card["name"]  # jurors judge the case, not the person
        found.append(
            {
                "jury": jury,
                "seat": seat,
                "card": card,
                "reason_code": claim.reason_code,
                "reason_text": claim.reason_text,
                "statement": statements[-1] if statements else None,
            }
        )
    return found


@router.get("", response_class=HTMLResponse)
def duties(visit: PageVisit) -> HTMLResponse:
    return visit.page(
        "portal/jury/duties.html", duties=_duties(visit), errors={},
        voted=visit.request.query_params.get("voted"),
    )  # fmt: skip


@router.post("/{jury_id}/vote")
def vote(jury_id: int, visit: FormVisit, form: Form) -> Response:
    person_id = visit.member.person_id
    try:
        if person_id is None:
            raise Forbidden("you were not drawn for this jury", code="not-a-juror")
        if not 0 < jury_id < MAX_ID:
            raise NotFound(f"no jury {jury_id}", code="unknown-jury")
        choice = text(form, "vote")
        if choice not in {v.value for v in Vote}:
            raise InvalidInput("choose overturn or uphold", code="missing-field", field="vote")
        visit.uow.juries.get(jury_id)
        svc.vote(visit.uow, jury_id, person_id, Vote(choice), visit.now)
    except HuzhuError as e:
        errors = refusal(visit, e)
        return visit.page("portal/jury/duties.html", e.status, duties=_duties(visit),
                          errors=errors, voted=None)  # fmt: skip
    visit.uow.commit()
    return visit.redirect("/me/jury?voted=1")
