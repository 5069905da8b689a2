"""report.html opens from disk in Debian's Chromium, with no network, and its charts render."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from huzhu.cli.forecast_html import write_report
from huzhu.forecast import run
from huzhu.forecast.assumptions import NO_HISTORY
from huzhu.forecast.files import defaults
from huzhu.plans.loader import load_template

pytestmark = pytest.mark.browser


def test_report_charts_render_offline_in_chromium(tmp_path: Path) -> None:
    a = defaults(load_template("xiang-hu-bao"), date(2018, 10, 16))
    forecast = run(a, NO_HISTORY, rounds=30, paths=4, seed=1)
    page_path = tmp_path / "report.html"
    write_report(forecast, None, page_path)
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_path.as_uri())
            page.wait_for_selector("#forecast-charts .main-svg", timeout=20_000)
            # Four subplots, each with drawn traces: lines for shares and members, bars.
            assert page.locator("#forecast-charts .cartesianlayer .subplot").count() == 4
            assert page.locator("#forecast-charts .scatterlayer .trace").count() >= 7
            assert page.locator("#forecast-charts .barlayer .trace").count() == 1
            titles = page.locator("#forecast-charts .annotation-text").all_text_contents()
            assert any("Share per member" in t for t in titles)
            assert page.locator("#scenario").inner_text() == "defaults"
        finally:
            browser.close()
    assert errors == []
    assert all(u.startswith("file://") for u in requests), requests
