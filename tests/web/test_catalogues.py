"""The message catalogues and the assets: every text translated in both languages, the catalogues
in step with the pages, and nothing loaded from another site."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from huzhu.web import i18n

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "src" / "huzhu" / "web"


def _catalogue(locale: str) -> dict[str, str]:
    with (WEB / "locale" / locale / "LC_MESSAGES" / "huzhu.po").open("rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id}  # type: ignore[misc]


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_no_msgid_is_untranslated(locale: str) -> None:
    empty = sorted(k for k, v in _catalogue(locale).items() if not v)
    assert empty == [], f"untranslated in {locale}: {empty}"


def test_the_catalogues_hold_every_text_of_the_pages(tmp_path: Path) -> None:
    """Extract afresh (as `make messages` does): a text added to a page without its translation
    fails here."""
    pot = tmp_path / "fresh.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "N_", "-k", "_", "--ignore-dirs", ".* node_modules", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    assert len(wanted) > 200  # the extraction itself worked
    for locale in i18n.LOCALES:
        missing = sorted(wanted - _catalogue(locale).keys())
        assert missing == [], f"run `make messages` and translate, {locale}: {missing}"
        # A text translated but found by no extraction is either gone or shown unmarked (a label
        # in a list, worded with `_(label)`): `make messages` would drop its translation.
        unmarked = sorted(_catalogue(locale).keys() - wanted)
        assert unmarked == [], f"mark these with N_() or remove them, {locale}: {unmarked}"


def test_chinese_is_chinese_and_english_is_english() -> None:
    zh, en = _catalogue("zh"), _catalogue("en")
    assert zh["Sign in"] == "登录" and en["Sign in"] == "Sign in"
    cjk = re.compile(r"[\u4e00-\u9fff]")
    assert sum(1 for v in zh.values() if cjk.search(v)) > 0.9 * len(zh)
    assert not any(cjk.search(v) for v in en.values())


def test_the_compiled_catalogues_are_loaded() -> None:
    """`make install` compiles the .mo files that the pages read."""
    assert i18n.translations("zh").gettext("Sign out") == "退出登录"
    assert i18n.translations("en").gettext("Sign out") == "Sign out"


def test_no_page_or_asset_loads_anything_from_another_site() -> None:
    own = [p for p in WEB.rglob("*") if p.is_file() and p.suffix in {".html", ".css", ".js", ".py"}]
    own = [p for p in own if "vendor" not in p.parts]
    assert len(own) > 20
    remote = re.compile(r"""(?:src|href|url)\s*[=(]\s*["']?(?:https?:)?//""", re.I)
    for path in own:
        text = path.read_text(encoding="utf-8")
        assert not remote.search(text), path
        assert "cdn" not in text.lower() or path.suffix == ".py", path


def test_front_end_libraries_are_installed_not_committed() -> None:
    ignored = (ROOT / ".gitignore").read_text()
    assert "src/huzhu/web/static/vendor/" in ignored and "node_modules/" in ignored
    tracked = subprocess.run(
        ["git", "ls-files", "src/huzhu/web/static", "node_modules", "*.mo"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert not [t for t in tracked if "vendor" in t or t.endswith(".mo")], tracked
    assert (WEB / "static" / "vendor" / "chart.umd.min.js").is_file(), "run `make install`"
