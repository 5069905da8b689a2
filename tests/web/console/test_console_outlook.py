"""The dashboard's look ahead: the waiting-period pipeline and a plan's forecast with its early
warnings, each with its table and CSV like the other charts."""

from __future__ import annotations

import csv
import io

from consolekit import Browser, World


def test_the_pipeline_counts_members_by_the_week_their_illness_cover_starts(
    world: World, operator: Browser
) -> None:
    page = operator.get("/console/dashboard")
    assert page.status_code == 200
    assert '<script type="application/json" id="chart-pipeline-data">' in page.text
    got = operator.get("/console/dashboard/pipeline.csv")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0][0] == "label" and "xiang-hu-bao" in rows[0]
    col = rows[0].index("xiang-hu-bao")
    # Everyone joined on 2026-03-02 (Beijing); a 90-day wait: cover from 2026-05-31, a Sunday.
    by_week = {r[0]: int(r[col]) for r in rows[1:]}
    live = world.api.count("memberships", "plan_id = 'xiang-hu-bao' and lifecycle != 'left'")
    assert by_week["2026-05-25"] == live > 0
    assert sum(by_week.values()) == live


def test_a_forecast_is_drawn_with_its_warnings_and_csv_when_asked(
    world: World, operator: Browser
) -> None:
    assert "chart-forecast-" not in operator.get("/console/dashboard").text  # only when asked
    page = operator.get("/console/dashboard?forecast=xiang-hu-bao")
    assert page.status_code == 200, page.text
    assert 'id="chart-forecast-xiang-hu-bao-data"' in page.text
    assert "Early warnings" in page.text
    got = operator.get("/console/dashboard/forecast-xiang-hu-bao.csv")
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0] == ["label", "p5", "median", "p95"] and len(rows) == 25
    assert operator.get("/console/dashboard?forecast=nope").status_code == 404
