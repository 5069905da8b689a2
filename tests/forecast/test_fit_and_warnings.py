"""Fitting a plan's own rounds recovers known rates and says how well they fit; the early-warning
signals fire on the patterns they name, from history as from a forecast."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from huzhu.forecast.assumptions import History, PastRound
from huzhu.forecast.calibrate import fit
from huzhu.forecast.files import defaults
from huzhu.forecast.report import RoundBand, Thresholds, warnings
from huzhu.plans.loader import load_template

START = date(2026, 1, 1)


def history(rate: float, churn: float, *, overdispersed: bool = False, seed: int = 1) -> History:
    """40 rounds of a 200,000-member plan whose cases and exits come from known annual rates."""
    rng = np.random.default_rng(seed)
    members, day, past = 200_000, START - timedelta(days=40 * 15), []
    for _ in range(40):
        day += timedelta(days=15)
        mean = members * rate * 15 / 365.25
        if overdispersed:
            mean *= rng.choice([0.2, 1.8])
        cases = int(rng.poisson(mean))
        exits = int(rng.poisson(members * churn * 15 / 365.25))
        past.append(PastRound(day, members, cases, cases * 30_000_000, 0, exits, exits))
    # Everyone long past the waiting period, aged 30-34, half women.
    cells = ((6, 0, 800, members // 2), (6, 1, 800, members // 2))
    return History(cells=cells, rounds=tuple(past))


def expected_rate(a) -> float:
    """Annual cases per member the assumptions give these (ultimate, 30-34) members."""
    inc = a.incidence
    select = np.exp(-inc.wear_off_per_year * 800 / 365.25)
    risk = select * inc.select_factor + 1 - select
    both = [(risk * inc.illness[s][6] + inc.accident[s][6]) * inc.multiplier for s in (0, 1)]
    return float(np.mean(both))


def test_fit_recovers_the_incidence_and_churn_of_the_history() -> None:
    a = defaults(load_template("xiang-hu-bao"), START, members=200_000)
    fitted, report = fit(a, history(rate=0.0012, churn=0.08))
    assert report is not None and report.rounds == 40
    assert expected_rate(fitted) == pytest.approx(0.0012, rel=0.1)
    assert report.churn_per_year == pytest.approx(0.08, rel=0.1)
    assert fitted.exits.churn_per_year == report.churn_per_year
    # Sign-ups came at the churn's pace; the fit replaces the launch curve with them.
    assert report.join_rate == pytest.approx(0.08 * 15 / 365.25, rel=0.1)
    assert fitted.growth.knots == () and fitted.growth.steady_join_rate == report.join_rate
    assert report.cases_chi2_per_dof is not None and 0.4 < report.cases_chi2_per_dof < 2.0
    assert "goodness of fit" in report.describe()


def test_goodness_of_fit_exposes_rounds_a_single_rate_cannot_explain() -> None:
    a = defaults(load_template("xiang-hu-bao"), START, members=200_000)
    _, report = fit(a, history(rate=0.0012, churn=0.08, overdispersed=True))
    assert report is not None and report.cases_chi2_per_dof is not None
    assert report.cases_chi2_per_dof > 5


def test_no_fit_without_rounds() -> None:
    a = defaults(load_template("xiang-hu-bao"), START, members=1000)
    same, report = fit(a, History())
    assert report is None and same == a


def band(day: date, share: int, *, joins: int = 10, exits: int = 5, binds: float = 0.0,
         backstop: int = 0) -> RoundBand:  # fmt: skip
    return RoundBand(day, 1000, 990, 1010, 1, share, share, share, backstop, binds, joins, exits)


def days(n: int) -> list[date]:
    return [START + timedelta(days=15 * i) for i in range(n)]


def test_each_signal_fires_on_its_pattern_and_stays_quiet_otherwise() -> None:
    calm = [band(d, 100) for d in days(12)]
    assert warnings(calm, ()) == []
    rising = [band(d, 100 + 20 * i) for i, d in enumerate(days(12))]
    assert {w.code for w in warnings(rising, ())} == {"share-rising-fast"}
    leaving = [band(d, 100, joins=5, exits=9) for d in days(12)]
    assert {w.code for w in warnings(leaving, ())} == {"net-outflow"}
    capped = [band(d, 100, binds=0.3 if i == 5 else 0.0) for i, d in enumerate(days(12))]
    assert {(w.code, w.on) for w in warnings(capped, ())} == {("annual-cap-likely", days(12)[5])}
    backstop = [band(d, 100, backstop=200_000_00 if i == 7 else 0) for i, d in enumerate(days(12))]
    assert {w.code for w in warnings(backstop, ())} == {"backstop-high"}
    strict = Thresholds(backstop_fen=10_000_000_00)
    assert warnings(backstop, (), strict) == []


def test_signals_from_the_plans_real_rounds() -> None:
    past = tuple(PastRound(d, 1000 - i, 1, 100, 50 * (i + 1), 2, 4) for i, d in enumerate(days(10)))
    found = {(w.code, w.source) for w in warnings([], past)}
    assert found == {("share-rising-fast", "history"), ("net-outflow", "history")}
