"""Which language a page speaks, and its message catalogue.

Chinese is the default: the people huzhu serves read Chinese. A visitor picks English with
`?lang=en` (remembered in a cookie), or their browser asks for it with Accept-Language.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations
from fastapi import Request

LOCALES = ("zh", "en")
DEFAULT = "zh"
LANG_COOKIE = "huzhu_lang"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "huzhu"


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> NullTranslations:
    return Translations.load(str(LOCALE_DIR), [locale], domain=DOMAIN)


def _from_header(header: str) -> str | None:
    """The best of our locales in an Accept-Language header, by its q weights."""
    best: tuple[float, str] | None = None
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in LOCALES and (best is None or weight > best[0]):
            best = (weight, primary)
    return best[1] if best else None


def pick(request: Request) -> tuple[str, bool]:
    """The page's locale, and whether it was chosen now (so the cookie should remember it)."""
    asked = request.query_params.get("lang")
    if asked in LOCALES:
        return asked, request.cookies.get(LANG_COOKIE) != asked
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in LOCALES:
        return remembered, False
    return _from_header(request.headers.get("accept-language", "")) or DEFAULT, False
