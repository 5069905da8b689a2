"""Calibration: the model against Xiang Hu Bao's public figures, and fits to a plan's own rounds.

`public_errors` measures a forecast against `data/public.toml` (the calibration test holds each
error under the bound stated in docs/forecast.md). `fit` estimates a plan's incidence and churn
from its real rounds, and says how well the fitted rates explain them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from huzhu.forecast.assumptions import Assumptions, History
from huzhu.forecast.engine import DAYS_PER_YEAR
from huzhu.forecast.files import read_data
from huzhu.forecast.report import RoundBand


@dataclass(frozen=True)
class PointError:
    name: str
    target: float
    model: float

    @property
    def error(self) -> float:
        """Relative error of the model (0.1 = 10% off)."""
        return abs(self.model - self.target) / self.target


def _members_on(rows: Sequence[RoundBand], launch: date, day: int) -> float:
    """Median headcount at the first round on or after a day since launch (rounds are the
    only moments the model counts members)."""
    for r in rows:
        if (r.date - launch).days >= day:
            return float(r.members)
    return float(rows[-1].members)


def public_errors(rows: Sequence[RoundBand]) -> list[PointError]:
    public = read_data("public.toml")
    launch: date = public["launch"]
    by_date = {r.date: r for r in rows}
    found = []
    for p in public["share"]:
        row = by_date[p["round"]]
        found.append(PointError(f"share on {p['round']}", p["yuan"], row.share_p50 / 100))
    for p in public["year_total"]:
        total = sum(r.share_p50 for r in rows if r.date.year == p["year"])
        found.append(PointError(f"total for {p['year']}", p["yuan"], total / 100))
    for p in public["members"]:
        found.append(
            PointError(
                f"members on day {p['day']}", p["count"], _members_on(rows, launch, p["day"])
            )
        )
    peak = max(rows, key=lambda r: r.members)
    found.append(PointError("peak members", 105_000_000, peak.members))
    return found


def peak_then_falls(rows: Sequence[RoundBand]) -> tuple[date, bool]:
    """When membership peaks, and whether it is lower at the end than at the peak."""
    peak = max(rows, key=lambda r: r.members)
    return peak.date, rows[-1].members < peak.members


@dataclass(frozen=True)
class Fit:
    rounds: int
    cases: int
    incidence_multiplier: float
    churn_per_year: float
    join_rate: float  # sign-ups per round as a share of the headcount
    # Pearson chi-square of cases per round against the fitted expectation, per degree of
    # freedom: near 1 when the rounds scatter as a Poisson process with that rate would.
    cases_chi2_per_dof: float | None
    exits_mean_abs_error: float | None  # per round, members, of the fitted churn

    def describe(self) -> str:
        chi = "n/a" if self.cases_chi2_per_dof is None else f"{self.cases_chi2_per_dof:.2f}"
        mae = "n/a" if self.exits_mean_abs_error is None else f"{self.exits_mean_abs_error:.1f}"
        return (
            f"fitted on {self.rounds} rounds ({self.cases} cases): incidence multiplier "
            f"{self.incidence_multiplier:.3f}, churn {self.churn_per_year:.3f}/year, sign-ups "
            f"{self.join_rate:.2%} of members/round; goodness "
            f"of fit: cases chi2/dof {chi}, exits mean abs error {mae} members/round"
        )


def _expected_rate(a: Assumptions, history: History) -> float:
    """Annual claims per member the assumptions predict for the plan's current members."""
    inc, total, weighted = a.incidence, 0, 0.0
    for band, sex, joined, n in history.cells:
        b = min(band, a.bands - 1)
        select = math.exp(-inc.wear_off_per_year * joined / DAYS_PER_YEAR)
        risk = select * inc.select_factor + (1 - select)
        ill = inc.illness[sex][b] * a.rules.illness_share
        ill = ill if joined >= a.rules.illness_wait_days else 0.0
        acc = inc.accident[sex][b] if a.rules.covers_accident else 0.0
        acc = acc if joined >= a.rules.accident_wait_days else 0.0
        weighted += n * (risk * ill + acc) * inc.multiplier
        total += n
    return weighted / total if total else 0.0


def fit(a: Assumptions, history: History) -> tuple[Assumptions, Fit | None]:
    """Refit incidence and churn to the plan's rounds; the defaults stand where data is thin."""
    past = [r for r in history.rounds if r.members > 0]
    if len(past) < 2:
        return a, None
    spans = [
        (r, max(1, (r.announce_date - p.announce_date).days) / DAYS_PER_YEAR)
        for p, r in itertools.pairwise(past)
    ]
    exposure = sum(r.members * dt for r, dt in spans)
    cases = sum(r.cases for r, _ in spans)
    expected = _expected_rate(a, history)
    inc = a.incidence
    if cases > 0 and expected > 0:
        inc = replace(inc, multiplier=inc.multiplier * (cases / exposure) / expected)
    exits = sum(r.exits for r, _ in spans)
    churn = min(1.0, exits / exposure) if exposure else a.exits.churn_per_year
    # The plan's own sign-ups replace any launch curve: a plan in the database is past its launch.
    join_rate = sum(r.joins for r, _ in spans) / sum(r.members for r, _ in spans)
    growth = replace(a.growth, knots=(), steady_join_rate=min(1.0, join_rate))
    exits_fit = replace(a.exits, churn_per_year=churn)
    fitted = replace(a, incidence=inc, exits=exits_fit, growth=growth)
    rate = cases / exposure if exposure else 0.0
    chi2 = 0.0
    for r, dt in spans:
        mu = r.members * rate * dt
        chi2 += (r.cases - mu) ** 2 / mu if mu > 0 else 0.0
    dof = len(spans) - 1
    mae = sum(abs(r.exits - r.members * churn * dt) for r, dt in spans) / len(spans)
    return fitted, Fit(
        rounds=len(past),
        cases=cases,
        incidence_multiplier=inc.multiplier,
        churn_per_year=churn,
        join_rate=growth.steady_join_rate,
        cases_chi2_per_dof=chi2 / dof if dof > 0 and rate > 0 else None,
        exits_mean_abs_error=mae,
    )
