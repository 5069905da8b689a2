"""Joining a plan: the health declaration asked as plain questions, a refusal told in words."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from huzhu import gateways
from huzhu.api.deps import SESSION_COOKIE
from huzhu.domain.errors import HuzhuError, NotFound
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plans import Plan
from huzhu.services.accounts.service import digest
from huzhu.services.members import identity
from huzhu.services.members.joining import SandboxCredit, join_as
from huzhu.web.deps import Form, FormVisit, PageVisit, Visit, text
from huzhu.web.errors import HtmlRoute
from huzhu.web.forms import health_answers, person_details, refusal
from huzhu.web.once import form_key, new_key, once
from huzhu.web.portal.plans import plan_or_404

router = APIRouter(prefix="/me", route_class=HtmlRoute, include_in_schema=False)


def _page(visit: Visit, plan: Plan, status: int = 200, **extra: Any) -> HTMLResponse:
    principal = visit.member
    people = (
        visit.uow.people.dependants(principal.person_id) if principal.person_id is not None else []
    )
    context: dict[str, Any] = {"errors": {}, "values": {}, "key": new_key(), **extra}
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
    # The form's hidden key: a double click or a resent form joins (and pays the deposit) once.
    key = form_key(text(form, "key"))

    def work() -> str:
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
            # A prepaid plan's deposit is asked of the gateway under the form's key, as the
            # API asks it under the request's Idempotency-Key.
            deposit_key=f"web:{principal.account_id}:{key}",
            gateway=gateways.factory(settings=visit.settings)(visit.uow.conn),
        )
        return f"/me/plans/{membership.id}?joined=1"

    try:
        token = visit.request.cookies.get(SESSION_COOKIE, "")
        visit.request.app.state.limiter.hit(visit.settings.join_limit, "join", digest(token))
        if principal.person_id is None and identity.hold_if_on_file(
            visit.uow, principal, person_details(form), visit.now
        ):
            visit.uow.commit()  # the held identity stays; the join is refused
            raise identity.held()
        location = once(visit, f"join:{plan.id}", key, work)
    except HuzhuError as e:
        errors = refusal(visit, e)
        return _page(visit, plan, e.status, errors=errors, values=dict(form), key=key)
    visit.uow.commit()
    return visit.redirect(location)
