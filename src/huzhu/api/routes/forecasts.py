"""Forecasts for operators and auditors: a plan's next rounds with percentile bands, and warnings.

A forecast reads the plan's members and rounds and writes nothing. Sizes are bounded so that one
request cannot hold a worker for long (the command line runs the large ones).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from huzhu.api.deps import Now, Uow, role
from huzhu.api.params import PlanId
from huzhu.api.problems import ERROR_RESPONSES
from huzhu.api.schemas import Money, money
from huzhu.domain.access import Principal, Role
from huzhu.services.plans.forecasts import ForecastRequest, forecast

router = APIRouter(prefix="/v1", tags=["forecasts"], responses=ERROR_RESPONSES)
Reader = Annotated[Principal, Depends(role(Role.OPERATOR, Role.AUDITOR))]


class ForecastRoundOut(BaseModel):
    date: date
    members: int
    members_p5: int
    members_p95: int
    cases: int
    share_p5: Money
    share_p50: Money
    share_p95: Money
    backstop: Money
    cap_binds_probability: float


class WarningOut(BaseModel):
    code: str
    source: str
    on: date
    message: str


class ForecastOut(BaseModel):
    plan_id: str
    paths: int
    seed: int
    fit: str | None
    warnings: list[WarningOut]
    rounds: list[ForecastRoundOut]


@router.get("/plans/{plan_id}/forecast")
def plan_forecast(
    plan_id: PlanId,
    _: Reader,
    uow: Uow,
    now: Now,
    rounds: Annotated[int, Query(ge=1, le=120)] = 24,
    paths: Annotated[int, Query(ge=1, le=500)] = 100,
    seed: Annotated[int, Query(ge=0, le=2**32 - 1)] = 0,
) -> ForecastOut:
    """The plan's next rounds from its actual members and history (fitted), with warnings."""
    req = ForecastRequest(plan_id, rounds=rounds, paths=paths, seed=seed, from_db=True)
    result = forecast(uow, req, now)
    f = result.forecast
    return ForecastOut(
        plan_id=plan_id,
        paths=paths,
        seed=seed,
        fit=result.fit.describe() if result.fit else None,
        warnings=[WarningOut(code=w.code, source=w.source, on=w.on, message=w.message)
                  for w in f.warnings],
        rounds=[
            ForecastRoundOut(
                date=r.date, members=r.members, members_p5=r.members_p5,
                members_p95=r.members_p95, cases=r.cases, share_p5=money(r.share_p5),
                share_p50=money(r.share_p50), share_p95=money(r.share_p95),
                backstop=money(r.backstop), cap_binds_probability=r.cap_binds_probability,
            )
            for r in f.rows
        ],
    )  # fmt: skip
