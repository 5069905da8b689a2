"""Public plan pages: every rule in plain words, the history of rule changes, live figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from huzhu.domain.errors import NotFound
from huzhu.domain.money import format_yuan
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plans import Plan
from huzhu.plans.loader import load_catalogue
from huzhu.services.plans import activation
from huzhu.services.plans.figures import Headcounts
from huzhu.storage.repositories.rounds.repository import RoundRecord
from huzhu.storage.uow import UnitOfWork
from huzhu.web.deps import PageVisit
from huzhu.web.errors import HtmlRoute

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
RECENT_ROUNDS = 12


def plan_or_404(uow: UnitOfWork, plan_id: str, visit_today: Any) -> Plan:
    if len(plan_id) > 64 or not uow.plans.exists(plan_id):
        raise NotFound(f"no plan {plan_id}", code="unknown-plan", field="plan")
    return uow.plans.get(plan_id, visit_today)


def share_chart(rounds: list[RoundRecord]) -> dict[str, Any]:
    """Per-head share of the recent rounds, oldest first, in yuan strings (never floats)."""
    ordered = sorted(rounds, key=lambda r: r.announce_date)
    return {
        "labels": [r.announce_date.isoformat() for r in ordered],
        "values": [format_yuan(r.figures.share, grouping=False) for r in ordered],
    }


def _cards(uow: UnitOfWork, today: date, counts: Headcounts, now: datetime) -> list[dict[str, Any]]:
    cards = []
    for plan_id in uow.plans.ids():
        plan = uow.plans.get(plan_id, today)
        last = uow.rounds.recent(plan_id, limit=1)
        cards.append(
            {
                "plan": plan,
                "members": counts.of(uow, plan_id, now),
                "in_preparation": activation.in_preparation(uow, plan),
                "last": last[0] if last else None,
            }
        )
    return cards


@router.get("/", response_class=HTMLResponse)
def home(visit: PageVisit) -> HTMLResponse:
    """The same for every visitor: the cards are kept as long as the headcounts."""
    today, counts = local_date(visit.now), visit.headcounts
    cards = counts.remember(
        f"home:{today}", lambda uow: _cards(uow, today, counts, visit.now), visit.uow, visit.now
    )
    return visit.page("portal/public/home.html", cards=cards)


@router.get("/plans")
def plan_list() -> RedirectResponse:
    """Where a visitor looks for the list of plans: the home page is that list."""
    return RedirectResponse("/", status_code=308)


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(plan_id: str, visit: PageVisit) -> HTMLResponse:
    uow, today = visit.uow, local_date(visit.now)
    plan = plan_or_404(uow, plan_id, today)
    catalogue = load_catalogue()
    covered = [c for c in catalogue.conditions.values() if plan.cover.covers(c)]
    rounds = uow.rounds.recent(plan.id, limit=RECENT_ROUNDS)
    members = visit.headcounts.of(uow, plan.id, visit.now)
    return visit.page(
        "portal/public/plan.html",
        plan=plan,
        covered=covered,
        history=list(reversed(uow.plans.history(plan.id))),
        rounds=rounds,
        members=members,
        counted_at=visit.headcounts.counted_at(f"members:{plan.id}"),
        max_age_minutes=int(visit.headcounts.max_age_s // 60),
        in_preparation=activation.in_preparation(uow, plan),
        cases=sum(r.figures.cases for r in rounds),
        series=share_chart(rounds),
    )
