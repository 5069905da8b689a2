"""The Jinja2 environment and its filters: money in yuan from fen, Beijing time, masked names."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from huzhu.domain.identity import mask_name
from huzhu.domain.money import format_yuan
from huzhu.domain.plan_fields import CHINA_TZ


def yuan(fen: int | None) -> str:
    return "—" if fen is None else format_yuan(fen)


def beijing(moment: datetime | date | None, with_time: bool = True) -> str:
    """A moment as Beijing wall time: every plan in huzhu runs on it."""
    if moment is None:
        return "—"
    if not isinstance(moment, datetime):
        return moment.isoformat()
    local = moment.astimezone(CHINA_TZ)
    return local.strftime("%Y-%m-%d %H:%M") if with_time else local.date().isoformat()


def percent_bp(bp: int) -> str:
    """Basis points as a percentage with no float: 800 -> '8', 125 -> '1.25'."""
    whole, rest = divmod(bp, 100)
    return f"{whole}" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("huzhu.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(yuan=yuan, beijing=beijing, mask=mask_name, bp=percent_bp)
    return env


def render_text(template: str, context: dict[str, Any]) -> str:
    return environment().get_template(template).render(context)
