"""The Monte Carlo: seeded, integer money, and every member accounted for."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from huzhu.forecast import run
from huzhu.forecast.assumptions import NO_HISTORY, History
from huzhu.forecast.engine import simulate
from huzhu.forecast.files import defaults
from huzhu.plans.loader import load_template

XHB = load_template("xiang-hu-bao")


def small(members: int = 200_000):
    return defaults(XHB, date(2024, 1, 1), members=members)


def test_same_seed_same_forecast_and_another_seed_differs() -> None:
    a = small()
    one = simulate(a, NO_HISTORY, rounds=12, paths=8, seed=42)
    two = simulate(a, NO_HISTORY, rounds=12, paths=8, seed=42)
    three = simulate(a, NO_HISTORY, rounds=12, paths=8, seed=43)
    for name in ("members", "cases", "share", "collected", "backstop", "exits"):
        assert np.array_equal(getattr(one, name), getattr(two, name)), name
    assert not np.array_equal(one.cases, three.cases)


def test_headcount_is_conserved_round_by_round() -> None:
    t = simulate(small(), NO_HISTORY, rounds=30, paths=5, seed=7)
    before = t.start_members
    for r in range(len(t.dates)):
        after = before + t.joins[r] - t.exits[r] - t.claimants[r] - t.aged_out[r]
        assert np.array_equal(after, t.members[r]), r
        before = t.members[r]
    assert t.claimants.sum() > 0 and t.exits.sum() > 0 and t.aged_out.sum() > 0


def test_money_is_integer_fen_and_every_round_balances() -> None:
    t = simulate(small(), NO_HISTORY, rounds=24, paths=4, seed=3)
    for series in (t.payouts, t.share, t.collected, t.backstop):
        assert series.dtype == np.int64
    assert (t.share > 0).any()
    fee = t.payouts * 800 // 10_000
    # Over the whole run what was collected plus the backstop covers payouts and fee, to within
    # the rounding carried forward (less than one fen per member in the last round).
    covered = (t.collected + t.backstop).sum()
    assert covered >= (t.payouts + fee).sum()
    assert covered - (t.payouts + fee).sum() < t.members[-1].max()


def test_history_starts_from_the_actual_members() -> None:
    a = replace(small(), initial_members=0)
    history = History(cells=((6, 0, 400, 1000), (7, 1, 10, 500)))
    t = simulate(a, history, rounds=2, paths=3, seed=1)
    assert list(t.start_members) == [1500, 1500, 1500]


def test_an_annual_cap_that_binds_shows_and_the_backstop_pays() -> None:
    a = small()
    a = replace(a, rules=replace(a.rules, per_year_cap=50, per_case_cap=None))
    f = run(a, NO_HISTORY, rounds=24, paths=4, seed=5)
    assert any(r.cap_binds_probability == 1.0 for r in f.rows)
    assert any(r.backstop > 0 for r in f.rows)
    assert "annual-cap-likely" in {w.code for w in f.warnings}


@pytest.mark.parametrize("plan_id", ["xiang-hu-bao-senior", "fosun-huzhu", "dishui-accident"])
def test_every_kind_of_plan_runs(plan_id: str) -> None:
    a = defaults(load_template(plan_id), date(2024, 1, 1), members=50_000)
    f = run(a, NO_HISTORY, rounds=6, paths=2, seed=1)
    assert len(f.rows) == 6 and f.rows[0].members > 0


def test_a_plan_without_a_launch_curve_grows_at_its_steady_rate() -> None:
    a = defaults(load_template("meituan-huzhu"), date(2024, 1, 1), members=100_000)
    assert a.growth.knots == () and a.growth.steady_join_rate == 0.004
    t = simulate(a, NO_HISTORY, rounds=6, paths=20, seed=9)
    mean_share = t.joins[1:].mean() / t.members[:-1].mean()
    assert mean_share == pytest.approx(0.004, rel=0.1)


def test_the_plans_cover_decides_what_is_claimed_and_paid() -> None:
    def plan(plan_id: str):
        return defaults(load_template(plan_id), date(2024, 1, 1), members=1_000_000)

    cancer, accident, senior = (
        plan("waterdrop-cancer"),
        plan("dishui-accident"),
        plan("xiang-hu-bao-senior"),
    )
    assert (cancer.rules.illness_share, cancer.rules.covers_accident) == (0.65, False)
    assert (accident.rules.illness_share, accident.rules.covers_accident) == (0.0, True)
    assert small().rules.illness_share == pytest.approx(1.0)
    # The senior plan pays 50,000 (mild) or 100,000 (severe): the mean where severity is unknown.
    assert senior.rules.payout_by_band[12] == 75_000_00
    runs = {p: run(a, NO_HISTORY, rounds=12, paths=3, seed=4) for p, a in
            (("cancer", cancer), ("accident", accident), ("senior", senior))}  # fmt: skip
    cases = {p: sum(r.cases for r in f.rows) for p, f in runs.items()}
    assert cases["accident"] < cases["cancer"] / 20
    assert cases["senior"] > 0 and sum(r.share_p50 for r in runs["senior"].rows) > 0
