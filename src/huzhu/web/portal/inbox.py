"""The member's inbox: what huzhu told them and their dependants, newest first."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from huzhu.services.accounts.ownership import own_person_ids
from huzhu.web.deps import PageVisit
from huzhu.web.errors import HtmlRoute

router = APIRouter(prefix="/me", route_class=HtmlRoute, include_in_schema=False)
SHOWN = 100


@router.get("/inbox", response_class=HTMLResponse)
def inbox(visit: PageVisit) -> HTMLResponse:
    people = own_person_ids(visit.uow, visit.member)
    messages = visit.uow.inbox.page(people, after_id=0, limit=SHOWN)
    return visit.page("portal/me/inbox.html", messages=list(reversed(messages)))
