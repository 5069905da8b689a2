"""Forecasts of a plan: read its rules and history through the unit of work, run the engine.

Everything is validated before the engine runs (the plan exists, the scenario's fields, the
sizes), so a refused request writes nothing. A forecast writes nothing to the database either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from huzhu.domain.errors import InvalidInput
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plans import Plan
from huzhu.forecast import Forecast, run
from huzhu.forecast.assumptions import BAND_YEARS, NO_HISTORY, Assumptions, History, PastRound
from huzhu.forecast.calibrate import Fit, fit
from huzhu.forecast.files import apply_scenario, defaults, parse_scenario
from huzhu.forecast.report import EarlyWarning
from huzhu.storage.uow import UnitOfWork

MAX_ROUNDS = 600
MAX_PATHS = 10_000


@dataclass(frozen=True)
class ForecastRequest:
    plan_id: str
    rounds: int
    paths: int = 200
    seed: int = 0
    start: date | None = None
    members: int | None = None
    scenario_text: str | None = None
    scenario_source: str = "scenario"
    from_db: bool = False


@dataclass(frozen=True)
class ForecastResult:
    forecast: Forecast
    fit: Fit | None
    history: History


def _check(req: ForecastRequest) -> None:
    if not 1 <= req.rounds <= MAX_ROUNDS:
        raise InvalidInput(f"rounds must be 1 to {MAX_ROUNDS}", code="out-of-range", field="rounds")
    if not 1 <= req.paths <= MAX_PATHS:
        raise InvalidInput(f"paths must be 1 to {MAX_PATHS}", code="out-of-range", field="paths")
    if req.members is not None and req.members < 0:
        raise InvalidInput("members must not be negative", code="out-of-range", field="members")
    if req.members is not None and req.from_db:
        raise InvalidInput(
            "--members and --from-db disagree: the database says who the members are",
            code="conflicting-options",
            field="members",
        )


def read_history(uow: UnitOfWork, plan: Plan, start: date) -> History:
    """The plan's live members in cells (age band at `start`, sex, days since joining) and its
    past rounds with the joins and exits between them."""
    cells: dict[tuple[int, int, int], int] = {}
    for birth, sex, joined_at, n in uow.forecasts.population(plan.id):
        age = start.year - birth.year - ((start.month, start.day) < (birth.month, birth.day))
        key = (
            max(0, age) // BAND_YEARS,
            1 if sex == "M" else 0,
            (start - local_date(joined_at)).days,
        )
        cells[key] = cells.get(key, 0) + n
    records = list(reversed(uow.rounds.recent(plan.id, limit=240, before=start)))
    past = []
    for prev, r in zip([None, *records], records, strict=False):
        joins, exits = (
            (0, 0) if prev is None else uow.forecasts.flows(plan.id, prev.lock_at, r.lock_at)
        )
        f = r.figures
        past.append(
            PastRound(r.announce_date, f.members, f.cases, f.payouts, f.share, joins, exits)
        )
    last = records[-1] if records else None
    same_year = last is not None and last.announce_date.year == start.year
    return History(
        cells=tuple((b, s, max(0, d), n) for (b, s, d), n in sorted(cells.items())),
        rounds=tuple(past),
        carry_in=last.figures.surplus if last else 0,
        year_charged=(last.year_max or 0) if last and same_year else 0,
    )


def prepare(
    uow: UnitOfWork, req: ForecastRequest, now: datetime
) -> tuple[Assumptions, History, Fit | None]:
    """Assumptions and history for a request, or a refusal naming the field."""
    _check(req)
    scenario = parse_scenario(req.scenario_text, req.scenario_source) if req.scenario_text else None
    named = (scenario or {}).get("", {}).get("plan")
    if named is not None:
        uow.plans.get(named)  # refuses an unknown plan, naming the field
        if named != req.plan_id:
            raise InvalidInput(
                f"the scenario is for {named!r}, not {req.plan_id!r}",
                code="scenario-invalid",
                field="plan",
            )
    today = local_date(now)
    plan = uow.plans.get(req.plan_id, req.start or today)
    start = req.start or (today if req.from_db else None)
    a = defaults(plan, start, members=req.members)
    history, fitted = NO_HISTORY, None
    if req.from_db:
        history = read_history(uow, plan, a.start)
        a = replace(a, initial_members=0)  # the database says who is there
        a, fitted = fit(a, history)
    if scenario is not None:
        a = apply_scenario(a, scenario)
    return a, history, fitted


def forecast(
    uow: UnitOfWork,
    req: ForecastRequest,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> ForecastResult:
    a, history, fitted = prepare(uow, req, now)
    result = run(a, history, rounds=req.rounds, paths=req.paths, seed=req.seed, progress=progress)
    return ForecastResult(result, fitted, history)


def early_warnings(
    uow: UnitOfWork,
    plan_id: str,
    now: datetime,
    *,
    rounds: int = 24,
    paths: int = 100,
    scenario: str | None = None,
) -> list[EarlyWarning]:
    """Signals from the plan's real rounds and from a forecast of its next year."""
    req = ForecastRequest(plan_id, rounds=rounds, paths=paths, from_db=True, scenario_text=scenario)
    return forecast(uow, req, now).forecast.warnings
