"""Assumption files (`data/*.toml`) and scenario files, read strictly.

A scenario names the fields it changes; anything unknown, a negative rate, a probability above 1
or a wrong type is refused with `scenario-invalid` and the dotted field, before anything runs.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import replace
from datetime import date
from importlib import resources
from typing import Any

from huzhu.domain.errors import InvalidInput
from huzhu.domain.money import parse_yuan
from huzhu.domain.plan_rules import Category
from huzhu.domain.plans import Plan
from huzhu.forecast.assumptions import (
    BAND_YEARS,
    Assumptions,
    Exits,
    Growth,
    Incidence,
    Knot,
    Mix,
    Rules,
    Surge,
)
from huzhu.forecast.engine import signups

DATA = "huzhu.forecast.data"
MAX_BANDS = 14  # the incidence table reaches age 69

# Scenario fields and what each must be: a probability in [0, 1], a rate >= 0, a factor >= 0,
# a whole number >= 0, basis points, an amount in yuan, or text.
SCHEMA: dict[str, dict[str, str]] = {
    "": {"name": "text", "description": "text", "plan": "text"},
    "growth": {
        "stop_after_round": "count", "competitor_share": "probability",
        "steady_join_rate": "probability", "scale": "factor", "surges": "surges",
    },
    "exits": {
        "churn_per_year": "probability", "price_sensitivity": "probability",
        "healthy_leave_factor": "factor",
    },
    "incidence": {
        "scale": "factor", "multiplier": "factor", "select_factor": "factor",
        "wear_off_per_year": "rate", "claim_lag_rounds": "count",
    },
    "rules": {
        "fee_bp": "bp", "per_case_cap": "yuan", "per_year_cap": "yuan",
        "activation_threshold": "count",
    },
    "mix": {"male_share": "probability"},
}  # fmt: skip
SURGE = {
    "province": "text", "first_round": "count", "rounds": "count",
    "joins_per_round": "rate", "ultimate_share": "probability",
}  # fmt: skip


def _bad(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", code="scenario-invalid", field=field)


def _value(field: str, kind: str, raw: Any) -> Any:
    if kind == "text":
        if not isinstance(raw, str):
            raise _bad(field, "expected text")
        return raw
    if kind == "yuan":
        if isinstance(raw, bool | float) or not isinstance(raw, int | str):
            raise _bad(field, "write an amount in yuan as a string, e.g. '0.10'")
        try:
            return parse_yuan(str(raw), field=field)
        except InvalidInput as e:
            raise _bad(field, e.message) from None
    if kind in ("count", "bp"):
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise _bad(field, "expected a whole number")
        if raw < 0 or (kind == "bp" and raw > 5000):
            limit = "0 to 5000 basis points" if kind == "bp" else "0 or more"
            raise _bad(field, f"{raw} is out of range ({limit})")
        return raw
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise _bad(field, "expected a number")
    if raw < 0:
        raise _bad(field, f"{raw} is negative; a rate cannot be")
    if kind == "probability" and raw > 1:
        raise _bad(field, f"{raw} is above 1; this is a probability")
    return float(raw)


def parse_scenario(text: str, source: str = "scenario") -> dict[str, dict[str, Any]]:
    """Validate a scenario file into {section: {field: value}}; refuse anything unknown."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InvalidInput(f"{source}: not valid TOML: {e}", code="scenario-invalid") from None
    found: dict[str, dict[str, Any]] = {"": {}}
    for key, value in raw.items():
        if isinstance(value, dict):
            fields = SCHEMA.get(key) if key else None
            if fields is None:
                raise _bad(key, "unknown section")
            found[key] = {}
            for name, item in value.items():
                field = f"{key}.{name}"
                if name not in fields:
                    raise _bad(field, "unknown field")
                if fields[name] == "surges":
                    found[key][name] = _surges(field, item)
                else:
                    found[key][name] = _value(field, fields[name], item)
        elif key in SCHEMA[""]:
            found[""][key] = _value(key, "text", value)
        else:
            raise _bad(key, "unknown field")
    return found


def _surges(field: str, items: Any) -> tuple[Surge, ...]:
    if not isinstance(items, list):
        raise _bad(field, "expected [[growth.surges]] tables")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise _bad(f"{field}[{i}]", "expected a table")
        values = {}
        for name, raw in item.items():
            if name not in SURGE:
                raise _bad(f"{field}[{i}].{name}", "unknown field")
            values[name] = _value(f"{field}[{i}].{name}", SURGE[name], raw)
        missing = [n for n in SURGE if n not in values and n != "province"]
        if missing:
            raise _bad(f"{field}[{i}].{missing[0]}", "missing")
        values.pop("province", None)
        out.append(Surge(**values))
    return tuple(out)


def apply_scenario(a: Assumptions, scenario: dict[str, dict[str, Any]]) -> Assumptions:
    g, x, inc, rules, mix = a.growth, a.exits, a.incidence, a.rules, a.mix
    sec = scenario.get
    growth = dict(sec("growth", {}))
    surges = growth.pop("surges", ())
    g = replace(g, **growth, surges=g.surges + tuple(surges))
    x = replace(x, **sec("exits", {}))
    changes = dict(sec("incidence", {}))
    scale = changes.pop("scale", 1.0)
    inc = replace(inc, **changes)
    inc = replace(inc, multiplier=inc.multiplier * scale)
    rules = replace(rules, **sec("rules", {}))
    mix = replace(mix, **sec("mix", {}))
    name = scenario.get("", {}).get("name", "scenario")
    return replace(a, growth=g, exits=x, incidence=inc, rules=rules, mix=mix, scenario=name)


def read_data(name: str) -> dict[str, Any]:
    text = resources.files(DATA).joinpath(name).read_text("utf-8")
    return tomllib.loads(text)


def has_defaults(plan_id: str) -> bool:
    return resources.files(DATA).joinpath(f"{plan_id}.toml").is_file()


def _bands_for(plan: Plan) -> tuple[int, int]:
    """The age bands a plan's members can be in: [first, last)."""
    elig = plan.eligibility
    low = (elig.min_age.years or 0) // BAND_YEARS
    top_age = elig.exit_age_years or ((elig.max_age.years or 0) + 1)
    return low, min(MAX_BANDS, math.ceil(top_age / BAND_YEARS))


def _cover(rules: Rules, plan: Plan, cancer_share: float) -> Rules:
    covered = set(plan.cover.categories)
    share = (cancer_share if Category.CANCER in covered else 0.0) + (
        1.0 - cancer_share if Category.CRITICAL_ILLNESS in covered else 0.0
    )
    return replace(rules, illness_share=share, covers_accident=Category.ACCIDENT in covered)


def defaults(plan: Plan, start: date | None = None, *, members: int | None = None) -> Assumptions:
    """The plan's default assumptions (its own file, else `default.toml`)."""
    name = f"{plan.id}.toml" if has_defaults(plan.id) else "default.toml"
    raw = read_data(name)
    table = read_data("incidence.toml")
    low, bands = _bands_for(plan)
    weights = [w if low <= b < bands else 0.0 for b, w in enumerate(raw["mix"]["bands"])]
    weights += [0.0] * (bands - len(weights))
    weights = weights[:bands]
    if sum(weights) <= 0:
        weights = [1.0 if b >= low else 0.0 for b in range(bands)]
    g = raw["growth"]
    knots = tuple(Knot(int(d), float(s)) for d, s in g["knots"])
    launch = raw.get("launch", plan.effective_from)
    initial = int(raw.get("initial_members", 0))
    begin = start or launch
    growth = Growth(
        knots, float(g["steady_join_rate"]), float(g["scale"]), None, g["competitor_share"]
    )
    day = (begin - launch).days
    if members is not None and knots and day <= 0:
        # A new plan of this size: the launch curve, rescaled to peak at `members`.
        growth = replace(growth, scale=growth.scale * members / max(k.signups for k in knots))
    elif members is not None:
        # `members` are there at the start; what is left of the curve grows in proportion.
        initial = members
        if knots:
            growth = replace(growth, scale=growth.scale * members / max(1.0, signups(growth, day)))
    elif knots and day > 0:
        # Starting mid-curve without the plan's history: those who signed up so far are there.
        initial += round(signups(growth, day))
    inc = raw["incidence"]
    sources = {**raw["sources"], "incidence.table": table["source"]}
    return Assumptions(
        plan_id=plan.id,
        launch=launch,
        start=begin,
        initial_members=initial,
        growth=growth,
        exits=Exits(**raw["exits"]),
        incidence=Incidence(
            illness=(tuple(table["illness"]["F"][:bands]), tuple(table["illness"]["M"][:bands])),
            accident=(
                tuple(table["accident"]["F"][:bands]),
                tuple(table["accident"]["M"][:bands]),
            ),
            **inc,
        ),
        mix=Mix(tuple(w / sum(weights) for w in weights), float(raw["mix"]["male_share"])),
        rules=_cover(Rules.of_plan(plan, bands), plan, float(table["cancer_share"])),
        sources=sources,
    )
