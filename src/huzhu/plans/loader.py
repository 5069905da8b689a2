"""Read plan files (TOML) into validated `Plan` objects.

Errors name the field with its dotted path (``payout.bands[0].amount``) so that an operator can fix
a file without reading code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from huzhu.domain.errors import InvalidInput
from huzhu.domain.plan_rules import Condition, Source, overlapping_bands
from huzhu.domain.plans import Plan

TEMPLATE_IDS = (
    "xiang-hu-bao",
    "xiang-hu-bao-senior",
    "fosun-huzhu",
    "xiaomi-huzhu",
    "waterdrop-cancer",
    "meituan-huzhu",
    "qingsong-huzhu",
    "dishui-accident",
    "didi-huzhu",
    "suning-huzhu",
)


@dataclass(frozen=True)
class Catalogue:
    conditions: dict[str, Condition]
    sources: dict[str, Source] = field(default_factory=dict)

    def get(self, code: str) -> Condition:
        try:
            return self.conditions[code]
        except KeyError:
            raise InvalidInput(
                f"unknown condition code {code!r}", code="unknown-condition", field="condition_code"
            ) from None


def _path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _invalid(source: str, err: ValidationError) -> InvalidInput:
    first = err.errors()[0]
    field = _path(tuple(first["loc"])) or None
    details = "; ".join(f"{_path(tuple(e['loc'])) or '(file)'}: {e['msg']}" for e in err.errors())
    return InvalidInput(f"{source}: {details}", code="plan-file-invalid", field=field)


@cache
def load_catalogue() -> Catalogue:
    text = resources.files("huzhu.plans").joinpath("catalogue.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    try:
        sources = [Source.model_validate(s) for s in raw.get("source", [])]
        items = [Condition.model_validate(c) for c in raw.get("condition", [])]
    except ValidationError as err:
        raise _invalid("catalogue.toml", err) from err
    return checked_catalogue(items, sources)


def checked_catalogue(items: list[Condition], sources: list[Source]) -> Catalogue:
    """A catalogue whose codes are unique and whose every entry cites a listed source."""
    cited = {s.id: s for s in sources}
    conditions: dict[str, Condition] = {}
    for c in items:
        if c.code in conditions:
            raise InvalidInput(
                f"catalogue.toml: condition {c.code} is listed twice",
                code="plan-file-invalid",
                field="condition",
            )
        if c.source not in cited:
            raise InvalidInput(
                f"catalogue.toml: condition {c.code} cites no listed source ({c.source!r})",
                code="plan-file-invalid",
                field="condition.source",
            )
        conditions[c.code] = c
    return Catalogue(conditions, cited)


def load_plan_text(text: str, *, source: str = "plan file") -> Plan:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InvalidInput(f"{source}: not valid TOML: {err}", code="plan-file-invalid") from err
    try:
        plan = Plan.model_validate(raw)
    except ValidationError as err:
        raise _invalid(source, err) from err
    overlap = overlapping_bands(plan.payout.bands)
    if overlap is not None:
        i, j = overlap
        a, b = plan.payout.bands[i], plan.payout.bands[j]
        raise InvalidInput(
            f"{source}: payout.bands[{j}] (ages {b.min_age_years}–{b.max_age_years}) overlaps "
            f"payout.bands[{i}] (ages {a.min_age_years}–{a.max_age_years}): each age needs one "
            "payout",
            code="plan-file-invalid",
            field=f"payout.bands[{j}]",
        )
    catalogue = load_catalogue()
    for name, codes in (
        ("cover.include", plan.cover.include),
        ("cover.exclude", plan.cover.exclude),
    ):
        for code in codes:
            if code not in catalogue.conditions:
                raise InvalidInput(
                    f"{source}: {name} names unknown condition {code!r}",
                    code="plan-file-invalid",
                    field=name,
                )
    return plan


def load_plan_file(path: str | Path) -> Plan:
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except OSError as err:
        raise InvalidInput(f"cannot read {p}: {err.strerror}", code="plan-file-unreadable") from err
    return load_plan_text(text, source=p.name)


def template_text(plan_id: str) -> str:
    if plan_id not in TEMPLATE_IDS:
        raise InvalidInput(
            f"no template {plan_id!r}; templates: {', '.join(TEMPLATE_IDS)}",
            code="unknown-plan",
            field="plan",
        )
    return resources.files("huzhu.plans").joinpath(f"templates/{plan_id}.toml").read_text("utf-8")


def load_template(plan_id: str) -> Plan:
    return load_plan_text(template_text(plan_id), source=f"{plan_id}.toml")


def load_templates() -> list[Plan]:
    return [load_template(t) for t in TEMPLATE_IDS]
