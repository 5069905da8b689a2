"""The member's inbox: what huzhu told them and their dependants, newest first."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from huzhu.messages import render
from huzhu.services.accounts.ownership import own_person_ids
from huzhu.web.deps import PageVisit
from huzhu.web.errors import HtmlRoute

router = APIRouter(prefix="/me", route_class=HtmlRoute, include_in_schema=False)
SHOWN = 100


@router.get("/inbox", response_class=HTMLResponse)
def inbox(visit: PageVisit) -> HTMLResponse:
    people = own_person_ids(visit.uow, visit.member)
    found = visit.uow.inbox.page(people, after_id=0, limit=SHOWN)
    messages = [(m, render(m.kind, m.params, visit.locale)) for m in reversed(found)]
    return visit.page("portal/me/inbox.html", messages=messages)
