"""Wording a stored message in the reader's language, from the web pages' Babel catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from string import Formatter
from typing import Any

from babel.support import NullTranslations, Translations

from huzhu.domain.errors import InvalidInput
from huzhu.domain.money import format_yuan
from huzhu.domain.plan_fields import CHINA_TZ
from huzhu.messages.kinds import CODES, KINDS, LEGACY

LOCALES = ("zh", "en")
DEFAULT_LOCALE = "zh"
# One catalogue for pages and messages: a path, not an import (huzhu.web sits above us).
LOCALE_DIR = Path(__file__).resolve().parents[1] / "web" / "locale"
DOMAIN = "huzhu"
_SEPARATOR = {"zh": "；", "en": "; "}


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> NullTranslations:
    return Translations.load(str(LOCALE_DIR), [locale], domain=DOMAIN)


def locale_or_default(locale: str | None) -> str:
    return locale if locale in LOCALES else DEFAULT_LOCALE


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def check(kind: str, params: Mapping[str, Any]) -> None:
    """Refuse, before anything is stored, a kind no template words or a parameter it lacks."""
    template = KINDS.get(kind)
    if template is None:
        raise InvalidInput(f"no message kind {kind!r}", code="unknown-message-kind", field="kind")
    missing = (_fields(template.title) | _fields(template.body)) - set(params)
    if missing:
        raise InvalidInput(
            f"message {kind} needs {', '.join(sorted(missing))}",
            code="message-params-missing",
            field="params",
        )
    for name, value in params.items():
        if isinstance(value, float) or (name.endswith("_fen") and type(value) is not int):
            raise InvalidInput(f"{name} must be whole fen", code="message-money", field=name)


def _value(name: str, value: Any, locale: str, gettext: Any) -> str:
    if value is None:
        return "—"
    if name.endswith("_fen"):
        return format_yuan(int(value))
    if name.endswith("_at"):
        return datetime.fromisoformat(str(value)).astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    if name.endswith("_codes"):
        return _SEPARATOR[locale].join(_value("x_code", v, locale, gettext) for v in value)
    if name.endswith("_code"):
        code = str(value)
        return str(gettext(CODES[code])) if code in CODES else code
    return str(value)


def render(kind: str, params: Mapping[str, Any], locale: str | None) -> Rendered:
    """The message in `locale` (zh when not one of ours); a kind this code no longer knows is
    shown by its name rather than failing the reader's page."""
    if kind == LEGACY:
        return Rendered(str(params.get("title", "")), str(params.get("body", "")))
    template = KINDS.get(kind)
    if template is None:
        return Rendered(kind, "")
    locale = locale_or_default(locale)
    gettext = translations(locale).gettext
    values = _Missing({name: _value(name, v, locale, gettext) for name, v in params.items()})
    return Rendered(
        gettext(template.title).format_map(values), gettext(template.body).format_map(values)
    )


class _Missing(dict[str, str]):
    """A parameter a row lacks (stored before the template grew one) shows as a dash."""

    def __missing__(self, key: str) -> str:
        return "—"
