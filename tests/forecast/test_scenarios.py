"""The six shipped scenarios parse and move the forecast the way they say; bad files are refused
with the field named."""

from __future__ import annotations

from datetime import date
from importlib import resources

import pytest

from huzhu.domain.errors import InvalidInput
from huzhu.forecast import Forecast, run
from huzhu.forecast.assumptions import NO_HISTORY, Assumptions
from huzhu.forecast.files import apply_scenario, defaults, parse_scenario
from huzhu.plans.loader import load_template

SCENARIOS = resources.files("huzhu.forecast.data").joinpath("scenarios")


def base() -> Assumptions:
    return defaults(load_template("xiang-hu-bao"), date(2019, 6, 1))


def forecast(a: Assumptions) -> Forecast:
    return run(a, NO_HISTORY, rounds=24, paths=6, seed=11)


def scenario(name: str) -> Assumptions:
    text = SCENARIOS.joinpath(f"{name}.toml").read_text("utf-8")
    return apply_scenario(base(), parse_scenario(text, name))


@pytest.fixture(scope="module")
def reference() -> Forecast:
    return forecast(base())


def total_share(f: Forecast) -> int:
    return sum(r.share_p50 for r in f.rows)


def test_incidence_up_30_percent_raises_the_share(reference: Forecast) -> None:
    a = scenario("incidence-up-30")
    assert a.incidence.multiplier == pytest.approx(base().incidence.multiplier * 1.3)
    ratio = total_share(forecast(a)) / total_share(reference)
    assert 1.2 < ratio < 1.4


def test_growth_stops_and_a_competitor_mean_fewer_members(reference: Forecast) -> None:
    stopped = forecast(scenario("growth-stops"))
    assert all(r.joins == 0 for r in stopped.rows[12:])
    assert stopped.rows[-1].members < reference.rows[-1].members
    rival = forecast(scenario("competitor"))
    assert sum(r.joins for r in rival.rows) < 0.8 * sum(r.joins for r in reference.rows)


def test_a_province_surge_adds_members_in_its_rounds(reference: Forecast) -> None:
    surged = forecast(scenario("province-surge"))
    extra = [s.joins - r.joins for s, r in zip(surged.rows, reference.rows, strict=True)]
    assert all(e > 1_500_000 for e in extra[4:7])


def test_fee_and_cap_change_the_rules(reference: Forecast) -> None:
    a = scenario("fee-and-cap")
    assert (a.rules.fee_bp, a.rules.per_year_cap) == (600, 10_000)
    f = forecast(a)
    assert total_share(f) < total_share(reference)


def test_a_lower_activation_threshold_lets_a_small_plan_start() -> None:
    fosun = load_template("fosun-huzhu")
    a = defaults(fosun, date(2024, 1, 1), members=20_000)
    assert a.rules.activation_threshold == 300_000
    waiting = run(a, NO_HISTORY, rounds=12, paths=3, seed=2)
    text = SCENARIOS.joinpath("lower-activation.toml").read_text("utf-8")
    started = run(apply_scenario(a, parse_scenario(text)), NO_HISTORY, rounds=12, paths=3, seed=2)
    assert all(r.share_p95 == 0 for r in waiting.rows)
    assert any(r.share_p50 > 0 for r in started.rows)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[incidence]\nscael = 1.3\n", "incidence.scael"),
        ("[weather]\nrain = 1\n", "weather"),
        ("colour = 'red'\n", "colour"),
        ("[exits]\nchurn_per_year = -0.01\n", "exits.churn_per_year"),
        ("[exits]\nchurn_per_year = 1.01\n", "exits.churn_per_year"),
        ("[growth]\ncompetitor_share = 2\n", "growth.competitor_share"),
        ("[incidence]\nscale = -1.3\n", "incidence.scale"),
        ("[incidence]\nscale = 'big'\n", "incidence.scale"),
        ("[rules]\nper_year_cap = 100.5\n", "rules.per_year_cap"),
        ("[rules]\nfee_bp = 9000\n", "rules.fee_bp"),
        ("[growth]\nstop_after_round = 1.5\n", "growth.stop_after_round"),
        ("[[growth.surges]]\nfirst_round = 1\nrounds = 1\njoins_per_round = 5\n"
         "ultimate_share = 1.2\n", "growth.surges[0].ultimate_share"),
        ("[[growth.surges]]\nfirst_round = 1\nrounds = 1\njoins = 5\n", "growth.surges[0].joins"),
        ("[growth\n", None),
    ],
)  # fmt: skip
def test_bad_scenarios_are_refused_naming_the_field(text: str, field: str | None) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_scenario(text, "bad.toml")
    assert caught.value.code == "scenario-invalid"
    assert caught.value.field == field


def test_every_assumption_has_a_source_or_a_reason() -> None:
    a = base()
    fields = [
        f"{section}.{name}"
        for section, obj in (("growth", a.growth), ("exits", a.exits), ("incidence", a.incidence))
        for name in obj.__dataclass_fields__
        if name not in ("surges", "stop_after_round", "illness", "accident")
    ]
    fields += ["mix.bands", "mix.male_share", "initial_members", "launch", "incidence.table"]
    missing = [f for f in fields if not a.sources.get(f)]
    assert missing == []
