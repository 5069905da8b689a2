"""Dashboards: each chart drawn by Chart.js from a JSON block, with its table and a CSV. The
forecast is computed only when asked for (a Monte Carlo run), the other charts on every visit."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from huzhu.domain.errors import NotFound
from huzhu.forecast.report import EarlyWarning
from huzhu.services.console import dashboard as svc
from huzhu.services.console import outlook
from huzhu.services.plans.figures import Headcounts
from huzhu.storage.uow import UnitOfWork
from huzhu.web.console.guard import DASHBOARD, sections, staff
from huzhu.web.deps import PageVisit
from huzhu.web.errors import HtmlRoute

router = APIRouter(prefix="/console/dashboard", route_class=HtmlRoute, include_in_schema=False)
FORECAST = "forecast-"


def _charts(uow: UnitOfWork, now: datetime, headcounts: Headcounts) -> list[svc.Chart]:
    return [*svc.charts(uow, now, headcounts), outlook.pipeline(uow, now)]


def _forecast(uow: UnitOfWork, plan_id: str, now: datetime) -> tuple[svc.Chart, list[EarlyWarning]]:
    if plan_id not in uow.plans.ids():
        raise NotFound(f"no plan {plan_id}", code="unknown-plan", field="plan")
    return outlook.forecast_chart(uow, plan_id, now)


@router.get("", response_class=HTMLResponse)
def dashboard(visit: PageVisit, forecast: str = "") -> HTMLResponse:
    principal = staff(visit, *DASHBOARD)
    charts = _charts(visit.uow, visit.now, visit.headcounts)
    warnings: list[EarlyWarning] | None = None
    if forecast:
        chart, warnings = _forecast(visit.uow, forecast, visit.now)
        charts.append(chart)
    return visit.page(
        "console/dashboard.html", nav=sections(principal), charts=charts,
        plans=visit.uow.plans.ids(), forecast=forecast, warnings=warnings,
        max_age_minutes=int(visit.headcounts.max_age_s // 60),
    )  # fmt: skip


@router.get("/{chart_id}.csv")
def chart_csv(chart_id: str, visit: PageVisit) -> Response:
    staff(visit, *DASHBOARD)
    if chart_id.startswith(FORECAST):
        found = [_forecast(visit.uow, chart_id[len(FORECAST) :], visit.now)[0]]
    else:
        found = [c for c in _charts(visit.uow, visit.now, visit.headcounts) if c.id == chart_id]
    for chart in found:
        return Response(
            svc.csv_text(chart),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{chart_id}.csv"',
                "Cache-Control": "private, no-store",
            },
        )
    raise NotFound(f"no chart {chart_id}", code="unknown-chart", field="chart")
