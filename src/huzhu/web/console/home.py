"""The console's front page: what needs attention, for the caller's roles."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from huzhu.services.console import service as svc
from huzhu.web.console.guard import sections, staff
from huzhu.web.deps import PageVisit
from huzhu.web.errors import HtmlRoute

router = APIRouter(prefix="/console", route_class=HtmlRoute, include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def overview(visit: PageVisit) -> HTMLResponse:
    principal = staff(visit)
    return visit.page(
        "console/home.html", nav=sections(principal), principal=principal,
        waiting=svc.queue_counts(visit.uow),
    )  # fmt: skip
