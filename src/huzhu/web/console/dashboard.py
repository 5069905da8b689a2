"""Dashboards: each chart drawn by Chart.js from a JSON block, with its table and a CSV."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from huzhu.domain.errors import NotFound
from huzhu.services import dashboard as svc
from huzhu.web.console.guard import DASHBOARD, sections, staff
from huzhu.web.deps import PageVisit
from huzhu.web.errors import HtmlRoute

router = APIRouter(prefix="/console/dashboard", route_class=HtmlRoute, include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def dashboard(visit: PageVisit) -> HTMLResponse:
    principal = staff(visit, *DASHBOARD)
    return visit.page(
        "console/dashboard.html",
        nav=sections(principal),
        charts=svc.charts(visit.uow, visit.now, visit.headcounts),
        max_age_minutes=int(visit.headcounts.max_age_s // 60),
    )


@router.get("/{chart_id}.csv")
def chart_csv(chart_id: str, visit: PageVisit) -> Response:
    staff(visit, *DASHBOARD)
    for chart in svc.charts(visit.uow, visit.now):
        if chart.id == chart_id:
            return Response(
                svc.csv_text(chart),
                media_type="text/csv; charset=utf-8",
                headers={
                    "Content-Disposition": f'attachment; filename="{chart_id}.csv"',
                    "Cache-Control": "private, no-store",
                },
            )
    raise NotFound(f"no chart {chart_id}", code="unknown-chart", field="chart")
