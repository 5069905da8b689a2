"""Joining a plan: the health declaration asked as plain questions, a refusal told in words."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from huzhu.api.deps import SESSION_COOKIE
from huzhu.domain.errors import HuzhuError, NotFound
from huzhu.domain.plans import Plan, local_date
from huzhu.services.accounts.service import digest
from huzhu.services.members.joining import SandboxCredit, join_as
from huzhu.web.deps import Form, FormVisit, PageVisit, Visit, text
from huzhu.web.errors import HtmlRoute
from huzhu.web.forms import health_answers, person_details, refusal
from huzhu.web.portal.plans import plan_or_404

router = APIRouter(prefix="/me", route_class=HtmlRoute, include_in_schema=False)


def _page(visit: Visit, plan: Plan, status: int = 200, **extra: Any) -> HTMLResponse:
    principal = visit.member
    people = (
        visit.uow.people.dependants(principal.person_id) if principal.person_id is not None else []
    )
    context: dict[str, Any] = {"errors": {}, "values": {}, **extra}
    return visit.page(
        "portal/me/join.html", status, plan=plan, dependants=people,
        has_identity=principal.person_id is not None, **context,
    )  # fmt: skip


@router.get("/join/{plan_id}", response_class=HTMLResponse)
def join_form(plan_id: str, visit: PageVisit) -> HTMLResponse:
    visit.member  # noqa: B018 - strangers sign in first
    return _page(visit, plan_or_404(visit.uow, plan_id, local_date(visit.now)))


@router.post("/join/{plan_id}")
def join(plan_id: str, visit: FormVisit, form: Form) -> Response:
    principal = visit.member
    plan = plan_or_404(visit.uow, plan_id, local_date(visit.now))
    who = text(form, "who", "self")
    try:
        token = visit.request.cookies.get(SESSION_COOKIE, "")
        visit.request.app.state.limiter.hit(visit.settings.join_limit, "join", digest(token))
        dependant_id = None
        if who != "self":
            if not who.isdigit() or len(who) > 16:
                raise NotFound(f"no dependant {who}", code="unknown-dependant", field="who")
            dependant_id = int(who)
        membership = join_as(
            visit.uow,
            principal,
            plan.id,
            health_answers(form, plan.eligibility.health_declaration),
            visit.now,
            SandboxCredit(visit.settings.sandbox_credit_score),
            person=person_details(form) if principal.person_id is None else None,
            dependant_id=dependant_id,
        )
    except HuzhuError as e:
        errors = refusal(visit, e)
        return _page(visit, plan, e.status, errors=errors, values=dict(form))
    visit.uow.commit()
    return visit.redirect(f"/me/plans/{membership.id}?joined=1")
