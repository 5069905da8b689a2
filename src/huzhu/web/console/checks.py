"""Checks: the audit log (cursor pages), and `huzhu audit` and `huzhu verify` with what failed."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from huzhu.services.audit.service import audit
from huzhu.services.record.notary import load_roots
from huzhu.services.record.verify import verify
from huzhu.web.console.guard import CHECKS, sections, staff
from huzhu.web.deps import PageVisit
from huzhu.web.errors import HtmlRoute

router = APIRouter(prefix="/console/checks", route_class=HtmlRoute, include_in_schema=False)
PAGE = 100


@router.get("", response_class=HTMLResponse)
def checks(visit: PageVisit, run: str = "") -> HTMLResponse:
    principal = staff(visit, *CHECKS)
    books = audit(visit.uow) if run in ("audit", "all") else None
    roots = load_roots(visit.settings.tsa_ca_file) if run in ("verify", "all") else []
    record = verify(visit.uow, tsa_roots=roots) if run in ("verify", "all") else None
    return visit.page("console/checks/checks.html", nav=sections(principal), books=books,
                      record=record)  # fmt: skip


@router.get("/audit-log", response_class=HTMLResponse)
def audit_log(visit: PageVisit, after: int = 0, action: str = "") -> HTMLResponse:
    principal = staff(visit, *CHECKS)
    rows = visit.uow.audit_log.page(after_id=max(after, 0), limit=PAGE, action=action[:60] or None)
    more = rows[-1].id if len(rows) == PAGE else None
    return visit.page("console/checks/audit_log.html", nav=sections(principal), rows=rows,
                      action=action, more=more)  # fmt: skip
