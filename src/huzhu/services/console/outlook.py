"""The dashboard's look ahead: the waiting-period pipeline (members whose illness cover starts in
each coming week) and a plan's forecast with its early warnings, as charts with their tables and
CSV like every other chart (`services.dashboard.Chart`).

The pipeline follows `Membership.cover_starts`: illness cover starts `waiting.illness_days` after
the Beijing day of joining, or of the plan's activation if that came later. Members of a plan still
in preparation have no start date yet; they are counted in their own column.

The forecast is `services.forecasts.forecast` from the plan's real members and history, as the
API's `/v1/plans/{id}/forecast` answers it (24 rounds, 100 paths, seed 0 unless asked otherwise).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from huzhu.domain.msgid import N_
from huzhu.domain.plan_fields import local_date
from huzhu.forecast.report import EarlyWarning
from huzhu.services.console.dashboard import MEMBERS, YUAN, Chart, Series
from huzhu.services.plans import activation
from huzhu.services.plans.forecasts import ForecastRequest, forecast
from huzhu.storage.repositories.console.pipeline import PipelineRepository
from huzhu.storage.uow import UnitOfWork

WEEKS = 26
PREPARING = N_("in preparation")


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def pipeline(uow: UnitOfWork, now: datetime) -> Chart:
    today = local_date(now)
    first = _monday(today)
    weeks = [first + timedelta(weeks=i) for i in range(WEEKS)]
    labels = [w.isoformat() for w in weeks]
    series: list[Series] = []
    waiting_for_activation = False
    for plan_id in uow.plans.ids():
        plan = uow.plans.get(plan_id, today)
        wait = timedelta(days=plan.waiting.illness_days)
        counts = [0] * (WEEKS + 1)
        activated = activation.activated_at(uow, plan)
        preparing = bool(plan.activation_threshold) and activated is None
        since = (
            now - wait - timedelta(days=1)
            if not preparing
            else datetime.min.replace(tzinfo=now.tzinfo)
        )
        joined = PipelineRepository(uow.conn).joined_per_day(plan_id, since)
        for day, n in joined.items():
            if preparing:
                counts[WEEKS] += n
                continue
            start = max(day, local_date(activated)) if activated else day
            starts = start + wait
            if starts <= today:
                continue  # covered already
            week = (_monday(starts) - first).days // 7
            if week < WEEKS:
                counts[week] += n
        if any(counts):
            series.append(Series(plan_id, list(counts)))
            waiting_for_activation |= counts[WEEKS] > 0
    if waiting_for_activation:
        labels.append(PREPARING)
    else:
        series = [Series(s.label, s.values[:WEEKS]) for s in series]
    return Chart(
        "pipeline", N_("Waiting-period pipeline: illness cover starting each week"), "bar",
        labels, series, MEMBERS,
    )  # fmt: skip


def forecast_chart(
    uow: UnitOfWork, plan_id: str, now: datetime, *, rounds: int = 24, paths: int = 100
) -> tuple[Chart, list[EarlyWarning]]:
    req = ForecastRequest(plan_id, rounds=rounds, paths=paths, seed=0, from_db=True)
    f = forecast(uow, req, now).forecast
    rows = f.rows
    chart = Chart(
        f"forecast-{plan_id}", N_("Forecast of the share per round (5th, 50th, 95th percentile)"),
        "line", [r.date.isoformat() for r in rows],
        [Series("p5", [r.share_p5 for r in rows], True),
         Series(N_("median"), [r.share_p50 for r in rows], True),
         Series("p95", [r.share_p95 for r in rows], True)],
        YUAN, subject=plan_id,
    )  # fmt: skip
    return chart, f.warnings
