"""Forecasts and stress tests: where a plan is heading, and how sure that is.

`run` projects a plan round by round as a seeded Monte Carlo over cells of members (see
`engine.py`) and returns the percentile bands and early warnings. It imports only `huzhu.domain`
and NumPy; `services/plans/forecasts.py` reads a plan's history through the unit of work and
calls it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from huzhu.forecast.assumptions import Assumptions, History
from huzhu.forecast.engine import Trajectory, simulate
from huzhu.forecast.report import EarlyWarning, RoundBand, Thresholds, bands, warnings


@dataclass(frozen=True)
class Forecast:
    assumptions: Assumptions
    trajectory: Trajectory
    rows: list[RoundBand]
    warnings: list[EarlyWarning]
    paths: int
    seed: int


def run(
    assumptions: Assumptions,
    history: History,
    *,
    rounds: int,
    paths: int,
    seed: int,
    thresholds: Thresholds = Thresholds(),
    progress: Callable[[int], None] | None = None,
) -> Forecast:
    t = simulate(assumptions, history, rounds=rounds, paths=paths, seed=seed, progress=progress)
    rows = bands(t)
    return Forecast(assumptions, t, rows, warnings(rows, history.rounds, thresholds), paths, seed)
