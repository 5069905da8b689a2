"""A seeded Monte Carlo of a plan, round by round, over cells of members.

A cell is (path, age band, sex, tenure, risk). Each round draws counts per cell, never per member:
binomial exits, diagnoses, ageing into the next band and the wearing-off of the health declaration's
selection, and Poisson sign-ups split by a multinomial. So 100 million members cost what one
million do. Tenure is counted in rounds since joining, up to a year past the waiting period; beyond
that members are alike (same waiting status, same charges this calendar year), so the last tenure
cell gathers them. The round itself is the published rule on arrays (`apportion.py`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from huzhu.forecast.apportion import Int, apportion
from huzhu.forecast.assumptions import BAND_YEARS, Assumptions, Growth, History

Float = npt.NDArray[np.float64]
DAYS_PER_YEAR = 365.25
SELECT, ULTIMATE = 0, 1


@dataclass(frozen=True)
class Trajectory:
    """Every per-round figure, shaped (rounds, paths)."""

    dates: tuple[date, ...]
    members: Int
    joins: Int
    exits: Int  # left by choice
    claimants: Int  # cover ended by a payout
    aged_out: Int
    cases: Int
    payouts: Int
    share: Int
    collected: Int
    backstop: Int
    cap_binds: npt.NDArray[np.bool_]
    start_members: Int  # headcount of each path before the first round


def announce_dates(a: Assumptions, rounds: int) -> list[date]:
    end = a.start + timedelta(days=31 * rounds + 31)
    return a.rules.calendar.announce_dates(a.start, end)[:rounds]


def signups(growth: Growth, day: float) -> float:
    """Cumulative sign-ups by `day` since launch: the knots, linearly between them."""
    before = (0.0, 0.0)
    for knot in growth.knots:
        if day <= knot.day:
            d0, s0 = before
            frac = (day - d0) / (knot.day - d0) if knot.day > d0 else 1.0
            return growth.scale * (s0 + frac * (knot.signups - s0))
        before = (float(knot.day), knot.signups)
    return growth.scale * before[1]


def _expected_joins(a: Assumptions, r: int, d0: date, d1: date, members: Float) -> Float:
    g = a.growth
    if g.stop_after_round is not None and r >= g.stop_after_round:
        return np.zeros_like(members)
    days0, days1 = (d0 - a.launch).days, (d1 - a.launch).days
    curve = max(0.0, signups(g, days1) - signups(g, days0))
    after_curve = not g.knots or days0 >= g.knots[-1].day
    steady = g.steady_join_rate * members if after_curve else 0.0
    joins = (curve + steady) * (1.0 - g.competitor_share)
    return np.broadcast_to(np.asarray(joins, dtype=np.float64), members.shape).copy()


class _Cells:
    """The population of every path: counts[path, band, sex, tenure, risk]."""

    def __init__(self, a: Assumptions, history: History, paths: int, day_step: float) -> None:
        self.a = a
        rpy = len(a.rules.calendar.rounds) * 12
        wait = max(a.rules.illness_wait_days, a.rules.accident_wait_days)
        self.tenures = rpy + math.ceil(wait / day_step) + 2
        shape = (paths, a.bands, 2, self.tenures, 2)
        self.counts = np.zeros(shape, dtype=np.int64)
        self.year_charged = np.zeros((paths, self.tenures), dtype=np.int64)
        self.day_step = day_step
        days = np.arange(self.tenures) * day_step
        self.ill_cover = days >= a.rules.illness_wait_days
        self.acc_cover = days >= a.rules.accident_wait_days
        select = math.exp(-a.incidence.wear_off_per_year)
        if history.cells:
            for band, sex, joined, n in history.cells:
                t = min(self.tenures - 1, int(joined // day_step))
                s = round(n * math.exp(-a.incidence.wear_off_per_year * joined / DAYS_PER_YEAR))
                self.counts[:, min(band, a.bands - 1), sex, t, SELECT] += s
                self.counts[:, min(band, a.bands - 1), sex, t, ULTIMATE] += n - s
            self.year_charged[:, -1] = history.year_charged
        elif a.initial_members:
            split = self._split(np.full(paths, a.initial_members, dtype=np.int64), None)
            sel = np.floor(split * select).astype(np.int64)
            self.counts[:, :, :, -1, SELECT] = sel
            self.counts[:, :, :, -1, ULTIMATE] = split - sel

    def _split(self, n: Int, rng: np.random.Generator | None) -> Int:
        """n members per path into (band, sex) by the joining mix."""
        mix = self.a.mix
        weights = np.outer(np.asarray(mix.bands), [1 - mix.male_share, mix.male_share])
        p = (weights / weights.sum()).ravel()
        if rng is None:
            base = np.floor(np.outer(n, p)).astype(np.int64)
            base[:, int(np.argmax(p))] += n - base.sum(axis=1)
            out = base
        else:
            out = rng.multinomial(n, p).astype(np.int64)
        return out.reshape(len(n), self.a.bands, 2)

    def age_one_round(self, new_year: bool) -> None:
        """Everyone is a round older in tenure; the last cell gathers the long-standing."""
        c, y = self.counts, self.year_charged
        c[:, :, :, -1] += c[:, :, :, -2]
        c[:, :, :, 1:-1] = c[:, :, :, :-2].copy()
        c[:, :, :, 0] = 0
        y[:, -1] = np.maximum(y[:, -1], y[:, -2])
        y[:, 1:-1] = y[:, :-2].copy()
        y[:, 0] = 0
        if new_year:
            y[:] = 0

    def join(self, n: Int, rng: np.random.Generator, ultimate_share: float = 0.0) -> None:
        split = self._split(n, rng)
        ult = rng.binomial(split, ultimate_share) if ultimate_share else 0 * split
        self.counts[:, :, :, 0, SELECT] += split - ult
        self.counts[:, :, :, 0, ULTIMATE] += ult

    def total(self) -> Int:
        return np.asarray(self.counts.sum(axis=(1, 2, 3, 4)), dtype=np.int64)


def simulate(
    a: Assumptions,
    history: History,
    *,
    rounds: int,
    paths: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> Trajectory:
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    dates = announce_dates(a, rounds)
    day_step = DAYS_PER_YEAR / (len(a.rules.calendar.rounds) * 12)
    cells = _Cells(a, history, paths, day_step)
    inc, rules = a.incidence, a.rules
    ill = np.asarray(inc.illness, dtype=np.float64).T[None, :, :, None, None]  # band, sex
    ill = ill * rules.illness_share
    acc = np.asarray(inc.accident, dtype=np.float64).T[None, :, :, None, None]
    acc = acc * (1.0 if rules.covers_accident else 0.0)
    risk = np.array([inc.select_factor, 1.0])[None, None, None, None, :]
    ill_cover = cells.ill_cover[None, None, None, :, None]
    acc_cover = cells.acc_cover[None, None, None, :, None]
    payout = np.asarray(rules.payout_by_band, dtype=np.int64)
    exit_band = None
    if rules.exit_age_years is not None:
        exit_band = min(a.bands, rules.exit_age_years // BAND_YEARS)
    lag = inc.claim_lag_rounds
    pending_cases = np.zeros((lag + 1, paths), dtype=np.int64)
    pending_pay = np.zeros((lag + 1, paths), dtype=np.int64)
    carry = np.full(paths, history.carry_in, dtype=np.int64)
    last_share = np.zeros(paths)
    if history.rounds:
        last_share[:] = history.rounds[-1].share / 100
    start_members = cells.total()
    out = {k: np.zeros((len(dates), paths), dtype=np.int64) for k in _SERIES}
    binds = np.zeros((len(dates), paths), dtype=bool)
    previous = a.start
    for r, day in enumerate(dates):
        dt = max(1, (day - previous).days) / DAYS_PER_YEAR
        cells.age_one_round(new_year=day.year != previous.year)
        c = cells.counts
        members_before = cells.total().astype(np.float64)
        joins = rng.poisson(_expected_joins(a, r, previous, day, members_before))
        cells.join(joins.astype(np.int64), rng)
        for s in a.growth.surges:
            if s.first_round <= r < s.first_round + s.rounds:
                extra = rng.poisson(np.full(paths, s.joins_per_round)).astype(np.int64)
                cells.join(extra, rng, s.ultimate_share)
                joins = joins + extra
        in_force = members_before >= rules.activation_threshold
        # The health declaration selects against illness, not accidents.
        hazard = inc.multiplier * (risk * ill * ill_cover + acc * acc_cover) * dt
        diagnosed = rng.binomial(c, -np.expm1(-hazard))
        diagnosed[~in_force] = 0
        c -= diagnosed
        slot = r % (lag + 1)
        pending_cases[slot] = diagnosed.sum(axis=(1, 2, 3, 4))
        pending_pay[slot] = np.einsum("pasjk,a->p", diagnosed, payout)
        # Price-driven exits weigh more on select (healthier) members: adverse selection.
        price = a.exits.price_sensitivity * last_share[:, None] * _leave_factor(a)
        p_leave = np.clip(-math.expm1(-a.exits.churn_per_year * dt) + price, 0.0, 1.0)
        p_leave = p_leave[:, None, None, None, :]
        left = rng.binomial(c, p_leave)
        c -= left
        older = rng.binomial(c, min(1.0, dt / BAND_YEARS))
        c -= older
        c[:, 1:] += older[:, :-1]
        if exit_band is None:  # no exit age: the oldest band keeps its members
            c[:, -1] += older[:, -1]
            aged = np.zeros(paths, dtype=np.int64)
        else:  # who ages past the last band, or into the exit age, leaves
            aged = older[:, -1].sum(axis=(1, 2, 3))
            aged = aged + c[:, exit_band:].sum(axis=(1, 2, 3, 4))
            c[:, exit_band:] = 0
        worn = rng.binomial(c[..., SELECT], min(1.0, inc.wear_off_per_year * dt))
        c[..., SELECT] -= worn
        c[..., ULTIMATE] += worn
        due = (r + 1) % (lag + 1)  # the slot filled `lag` rounds ago
        cases, payouts = pending_cases[due].copy(), pending_pay[due].copy()
        pending_cases[due] = 0
        pending_pay[due] = 0
        members = cells.total()
        groups = c.sum(axis=(1, 2, 4))
        fig = apportion(
            members=members,
            cases=cases,
            payouts=payouts,
            carry_in=carry,
            group_counts=groups,
            year_charged=cells.year_charged,
            fee_bp=rules.fee_bp,
            per_case_cap=rules.per_case_cap,
            per_year_cap=rules.per_year_cap,
        )
        cells.year_charged += fig.charge
        carry = fig.surplus
        last_share = fig.share / 100
        for key, value in (
            ("members", members), ("joins", joins), ("exits", left.sum(axis=(1, 2, 3, 4))),
            ("claimants", diagnosed.sum(axis=(1, 2, 3, 4))), ("aged_out", aged),
            ("cases", cases), ("payouts", payouts), ("share", fig.share),
            ("collected", fig.collected), ("backstop", fig.backstop),
        ):  # fmt: skip
            out[key][r] = value
        binds[r] = fig.cap_binds
        previous = day
        if progress is not None:
            progress(r + 1)
    return Trajectory(dates=tuple(dates), cap_binds=binds, start_members=start_members, **out)


def _leave_factor(a: Assumptions) -> Float:
    return np.array([a.exits.healthy_leave_factor, 1.0])[None, :]


_SERIES = (
    "members", "joins", "exits", "claimants", "aged_out", "cases", "payouts", "share",
    "collected", "backstop",
)  # fmt: skip
