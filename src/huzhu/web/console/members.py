"""Members: lookup by ID number, name or membership, and one member's history, statement and
claims. Personal data, so operators and auditors only, and every lookup and view is audited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from huzhu.domain.errors import HuzhuError, NotFound
from huzhu.services.console import service as svc
from huzhu.services.members.statement import statement
from huzhu.web.console.guard import MEMBERS, sections, staff
from huzhu.web.deps import PageVisit
from huzhu.web.errors import HtmlRoute
from huzhu.web.forms import refusal

router = APIRouter(prefix="/console/members", route_class=HtmlRoute, include_in_schema=False)
KINDS = ("id_number", "name", "membership")


@router.get("", response_class=HTMLResponse)
def lookup(visit: PageVisit, kind: str = "id_number", q: str = "") -> HTMLResponse:
    principal = staff(visit, *MEMBERS)
    found: list[svc.Found] | None = None
    errors: dict[str, str] = {}
    status = 200
    if q:
        try:
            found = svc.lookup(visit.uow, principal, kind, q, visit.now)
            visit.uow.commit()  # the audit entry stays even though the page only reads
        except HuzhuError as e:
            errors, status = refusal(visit, e), e.status
    return visit.page(
        "console/members/lookup.html", status, nav=sections(principal), kind=kind, q=q,
        kinds=KINDS, found=found, errors=errors,
    )  # fmt: skip


@router.get("/{person_id}", response_class=HTMLResponse)
def member(person_id: int, visit: PageVisit) -> HTMLResponse:
    principal = staff(visit, *MEMBERS)
    if not 0 < person_id < 2**62:
        raise NotFound(f"no person {person_id}", code="unknown-person", field="person")
    view = svc.member_view(visit.uow, principal, person_id, visit.now)
    statements: dict[int, Any] = {
        m.id: statement(visit.uow, m.id, visit.now) for m in view.memberships if m.id is not None
    }
    visit.uow.commit()
    return visit.page(
        "console/members/member.html", nav=sections(principal), v=view, statements=statements
    )
