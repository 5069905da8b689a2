"""My plans: state, the waiting period's countdown, the next charge, balance and top-up, leaving."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from huzhu.domain.errors import HuzhuError, NotFound
from huzhu.domain.members import Membership
from huzhu.domain.money import Fen
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plan_rules import Category
from huzhu.domain.plan_schedule import CollectionMode
from huzhu.services.accounts.ownership import membership as own_membership
from huzhu.services.accounts.ownership import own_person_ids
from huzhu.services.members.joining import leave_as, top_up_as
from huzhu.services.members.statement import balance_of, next_charge
from huzhu.web.deps import Form, FormVisit, PageVisit, Visit, text
from huzhu.web.errors import HtmlRoute
from huzhu.web.forms import refusal, yuan_to_fen

router = APIRouter(prefix="/me", route_class=HtmlRoute, include_in_schema=False)
MAX_ID = 2**53


def mine(visit: Visit, membership_id: int, *, write: bool = False) -> Membership:
    """A membership the member acts for; anyone else's answers 404 like a missing one."""
    if not 0 < membership_id < MAX_ID:
        raise NotFound(f"no membership {membership_id}", code="unknown-membership")
    return own_membership(visit.uow, visit.member, membership_id, write=write)


def view(visit: Visit, m: Membership, balance: Fen | None = None) -> dict[str, Any]:
    """What a membership's pages show; `balance` when the caller has computed it already (the
    statement does: computing it reads every charge of the member)."""
    assert m.id is not None
    today = local_date(visit.now)
    plan = visit.uow.plans.get(m.plan_id, today)
    illness = m.cover_starts(plan, Category.CRITICAL_ILLNESS)
    person = visit.uow.people.get(m.person_id)
    status = m.status(plan, today)
    return {
        "m": m,
        "plan": plan,
        "person": person,
        "status": status.value,
        "illness_from": illness,
        "accident_from": m.cover_starts(plan, Category.ACCIDENT),
        "days_left": max(0, (illness - today).days),
        "balance": balance_of(visit.uow, m.id) if balance is None else balance,
        "prepaid": plan.collection.mode is CollectionMode.PREPAID,
        "next": next_charge(visit.uow, plan, today) if m.left_at is None else None,
    }


@router.get("", response_class=HTMLResponse)
def my_plans(visit: PageVisit) -> HTMLResponse:
    principal = visit.member
    found = []
    for person_id in own_person_ids(visit.uow, principal):
        found.extend(visit.uow.memberships.for_person(person_id))
    return visit.page(
        "portal/me/plans.html",
        items=[view(visit, m) for m in sorted(found, key=lambda m: m.id or 0)],
        has_identity=principal.person_id is not None,
    )


@router.get("/plans/{membership_id}", response_class=HTMLResponse)
def one_plan(membership_id: int, visit: PageVisit) -> HTMLResponse:
    item = view(visit, mine(visit, membership_id))
    q = visit.request.query_params
    return visit.page(
        "portal/me/plan.html", item=item, joined=q.get("joined"), topped=q.get("topped"),
        errors={}, key=secrets.token_urlsafe(16),
    )  # fmt: skip


@router.post("/plans/{membership_id}/top-up")
def top_up(membership_id: int, visit: FormVisit, form: Form) -> Response:
    principal = visit.member
    m = mine(visit, membership_id, write=True)
    key = text(form, "key")[:100] or secrets.token_urlsafe(16)
    try:
        amount = yuan_to_fen(text(form, "amount"), "amount")
        # The form's hidden key: a double-click or a resent form tops up once.
        top_up_as(visit.uow, principal, membership_id, amount, f"web:{principal.account_id}:{key}",
                  visit.now)  # fmt: skip
    except HuzhuError as e:
        errors = refusal(visit, e)
        return visit.page("portal/me/plan.html", e.status, item=view(visit, m), joined=None,
                          topped=None, errors=errors, key=key)  # fmt: skip
    visit.uow.commit()
    return visit.redirect(f"/me/plans/{membership_id}?topped=1")


@router.get("/plans/{membership_id}/leave", response_class=HTMLResponse)
def confirm_leave(membership_id: int, visit: PageVisit) -> HTMLResponse:
    return visit.page("portal/me/leave.html", item=view(visit, mine(visit, membership_id)))


@router.post("/plans/{membership_id}/leave")
def leave(membership_id: int, visit: FormVisit) -> Response:
    mine(visit, membership_id, write=True)
    leave_as(visit.uow, visit.member, membership_id, visit.now)
    visit.uow.commit()
    return visit.redirect(f"/me/plans/{membership_id}")
