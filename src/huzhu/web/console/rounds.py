"""Rounds: the runner (a preview from the same code; the run itself is `round_runs`), collection,
payouts, the gateway log and reconciliation issues."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from huzhu.domain.access import Role
from huzhu.domain.errors import HuzhuError, InvalidInput
from huzhu.domain.plan_fields import local_date
from huzhu.services.console import service as svc
from huzhu.services.rounds.service import due_dates
from huzhu.web.console.guard import ROUNDS, sections, staff
from huzhu.web.deps import Form, FormVisit, PageVisit, Visit, text
from huzhu.web.errors import HtmlRoute
from huzhu.web.forms import refusal

router = APIRouter(prefix="/console/rounds", route_class=HtmlRoute, include_in_schema=False)


def page(visit: Visit, status: int = 200, **extra: Any) -> HTMLResponse:
    principal = staff(visit, *ROUNDS)
    uow = visit.uow
    plans = uow.plans.ids()
    today = local_date(visit.now)
    due = {
        p: [d for d in due_dates(uow, p, date(today.year, 1, 1), visit.now)
            if uow.rounds.for_period(p, d) is None][-3:]
        for p in plans
    }  # fmt: skip
    recent = [r for p in plans for r in uow.rounds.recent(p, limit=6)]
    recent.sort(key=lambda r: r.announce_date, reverse=True)
    progress = {r.id: uow.collection.round_progress(r.id) for r in recent}
    context: dict[str, Any] = {"errors": {}, "preview": None, "asked": None, **extra}
    return visit.page(
        "console/rounds/runner.html", status, nav=sections(principal), plans=plans, due=due,
        recent=recent, progress=progress, may_run=principal.has(Role.OPERATOR),
        gateway=svc.repo(uow).gateway_log(after_id=0, limit=20),
        issues=svc.repo(uow).issues(limit=20), **context,
    )  # fmt: skip


@router.get("", response_class=HTMLResponse)
def runner(visit: PageVisit) -> HTMLResponse:
    return page(visit)


def asked(form: Any) -> tuple[str, date]:
    plan_id = text(form, "plan_id")
    try:
        day = date.fromisoformat(text(form, "announce_date"))
    except ValueError:
        raise InvalidInput("a date (YYYY-MM-DD)", code="missing-field", field="date") from None
    return plan_id, day


@router.post("/preview")
def preview(visit: FormVisit, form: Form) -> Response:
    staff(visit, Role.OPERATOR)
    try:
        plan_id, day = asked(form)
        figures = svc.preview_round(visit.uow, plan_id, day, visit.now)
    except HuzhuError as e:
        return page(visit, e.status, errors=refusal(visit, e))
    return page(visit, preview=figures, asked=(plan_id, day))
