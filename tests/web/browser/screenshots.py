"""`make screenshots`: the key pages at phone (375 px) and desktop widths, saved under
docs/screenshots/ for the README. It serves the browser tests' world (a live server on a
temporary database) and drives Debian's Chromium."""

from __future__ import annotations

import re
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parents[1])]

from playwright.sync_api import sync_playwright  # noqa: E402

import conftest  # noqa: E402  (the browser tests' live server and seeded world)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)

    class Factory:  # what pytest's tmp_path_factory offers the fixture
        def mktemp(self, name: str) -> Path:
            return Path(tempfile.mkdtemp(prefix=f"huzhu-{name}-"))

    live_fixture = conftest.live.__wrapped__  # type: ignore[attr-defined]
    live_iter = live_fixture(Factory())
    live = next(live_iter)
    pages = {
        "home": "/",
        "plan": "/plans/xiang-hu-bao",
        "round": f"/rounds/{live.world.round_id}",
        "announcements": "/announcements",
        "my-plan": f"/me/plans/{live.world.m_a}",
        "statement": f"/me/plans/{live.world.m_a}/statement",
        "jury": "/me/jury",
    }
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=conftest.CHROMIUM, args=["--no-sandbox"])
        for width, size in (("phone", conftest.PHONE), ("desktop", conftest.DESKTOP)):
            context, page = conftest.new_page(browser, "zh", size)
            context.add_cookies(live.session_for(live.juror))  # type: ignore[arg-type]
            for name, path in pages.items():
                page.goto(live.url + path)
                page.wait_for_load_state("networkidle")
                target = out / f"{name}-{width}.png"
                page.screenshot(path=str(target))
                print(target)
            context.close()
        _console(browser, live, out)
        browser.close()
    next(live_iter, None)


def _console(browser: Any, live: Any, out: Path) -> None:
    """The operator console at desktop width, signed in as the operator; the plans page with a
    change previewed (the fee lowered from 8% to 6%), not published."""
    w = live.world
    pages = {
        "console-dashboard": "/console/dashboard",
        "console-claim": f"/console/claims/{w.claim_b}",
        "console-round": f"/console/rounds/{w.round_id}",
        "console-reconciliation": "/console/rounds/reconciliation",
    }
    context, page = conftest.new_page(browser, "zh", conftest.DESKTOP)
    context.add_cookies(live.session_for(w.operator))
    for name, path in pages.items():
        page.goto(live.url + path)
        page.wait_for_load_state("networkidle")
        _save(page, out / f"{name}-desktop.png")
    page.goto(live.url + "/console/plans?edit=xiang-hu-bao")
    box = page.locator("#f-document")
    box.fill(_fee_lowered(box.input_value(), live.api.clock.now.date() + timedelta(days=1)))
    page.locator('form[action="/console/plans/preview"] button').click()
    page.wait_for_load_state("networkidle")
    page.locator("#change").scroll_into_view_if_needed()
    _save(page, out / "console-plan-preview-desktop.png")
    context.close()


def _fee_lowered(document: str, effective: date) -> str:
    """The plan's next version (whatever version is current), from `effective`, with the fee
    lowered from 8% to 6% and a note of the change in place of the last one's."""
    version = int(re.search(r"^version = (\d+)$", document, re.M).group(1))  # type: ignore[union-attr]
    text = re.sub(r"^version = \d+$", f"version = {version + 1}", document, count=1, flags=re.M)
    text = re.sub(r"^effective_from = .*$", f"effective_from = {effective}", text, count=1,
                  flags=re.M)  # fmt: skip
    text = text.replace("management_fee_bp = 800", "management_fee_bp = 600", 1)
    text = re.sub(r'^changes = ".*"\n', "", text, flags=re.M)
    return 'changes = "管理费由 8% 降至 6%"\n' + text


def _save(page: Any, target: Path) -> None:
    page.screenshot(path=str(target))
    print(target)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
