"""Rounds (preview then run), members (audited lookups), checks and the dashboard's CSV."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import time

from consolekit import ROUND_DAY, Browser, World, browser

from huzhu.services.console.dashboard import Chart, Series

NEXT_DAY = "2026-03-21"  # the plan's next announcement date after ROUND_DAY


def test_an_operator_previews_then_runs_a_round(world: World, operator: Browser) -> None:
    api = world.api
    api.clock.now = api.clock.now.replace(month=3, day=23)
    r = world.api.post(f"/v1/claims/{world.claim_a}/approve", world.reviewer)
    assert r.status_code == 200, r.text
    api.clock.now = api.clock.now.replace(day=25)
    before = api.count("rounds")
    quote = operator.post(
        "/console/rounds/preview", {"plan_id": "xiang-hu-bao", "announce_date": NEXT_DAY}
    )
    assert quote.status_code == 200, quote.text
    assert "Run this round" in quote.text
    assert api.count("rounds") == before  # the preview left nothing behind
    assert api.rows("select state from claims where id = :i", i=world.claim_a) == [("approved",)]
    ran = operator.post(
        "/console/rounds/run", {"plan_id": "xiang-hu-bao", "announce_date": NEXT_DAY}
    )
    assert ran.status_code == 303, ran.text
    for _ in range(400):  # the run goes beside the request (test_console_round_runs.py)
        if operator.get(f"{ran.headers['location']}/progress.json").json()["finished"]:
            break
        time.sleep(0.05)
    assert api.count("rounds") == before + 1
    shown = api.rows("select share, members from rounds order by id desc")[0]
    page = operator.get("/console/rounds")
    assert NEXT_DAY in page.text
    assert api.count("audit_log", "action = 'round.run'") == 2
    # The preview showed the figures the run then wrote.
    assert f'<dd id="q-members">{shown[1]}</dd>' in quote.text


def test_a_round_that_is_not_due_is_refused_with_its_reason(
    world: World, operator: Browser
) -> None:
    r = operator.post(
        "/console/rounds/preview", {"plan_id": "xiang-hu-bao", "announce_date": "2026-03-08"}
    )
    assert r.status_code == 400 and 'role="alert"' in r.text
    assert (
        browser(world.api, world.auditor)
        .post("/console/rounds/run", {"plan_id": "xiang-hu-bao", "announce_date": NEXT_DAY})
        .status_code
        == 403
    )


def test_every_member_lookup_and_view_is_audited(world: World, auditor: Browser) -> None:
    api = world.api
    assert world.a.id_number is not None
    for kind, q in (
        ("id_number", world.a.id_number),
        ("name", "李明华"),
        ("membership", str(world.m_a)),
    ):
        r = auditor.get("/console/members", params={"kind": kind, "q": q})
        assert r.status_code == 200, r.text
        assert f'href="/console/members/{world.a.person_id}"' in r.text, kind
    assert api.count(
        "audit_log", "action = 'console.member_lookup' and actor_account_id = :a",
        a=world.auditor.account_id,
    ) == 3  # fmt: skip
    nobody = auditor.get("/console/members", params={"kind": "name", "q": "无此人"})
    assert "Nobody found." in nobody.text
    assert api.count("audit_log", "action = 'console.member_lookup'") == 4
    page = auditor.get(f"/console/members/{world.c.person_id}")
    assert (
        page.status_code == 200
        and "吴小漫" in page.text
        and f"/console/claims/{world.claim_c}" in page.text
    )
    assert api.count("audit_log", "action = 'console.member_viewed' and subject = :s",
                     s=f"person:{world.c.person_id}") == 1  # fmt: skip


def test_checks_show_the_audit_log_and_the_reports(world: World, auditor: Browser) -> None:
    log = auditor.get("/console/checks/audit-log?action=round.run")
    assert log.status_code == 200 and "round:" in log.text and "claim.submitted" not in log.text
    report = auditor.get("/console/checks?run=all")
    assert report.status_code == 200
    assert "The books: passed" in report.text
    # Every path to a shared claim is announced in the log (issue 9), so the record verifies.
    assert "The public record: passed" in report.text
    with world.api.engine.begin() as conn:  # tamper with a round: verify says which check failed
        conn.exec_driver_sql("update rounds set share = share + 1")
    broken = auditor.get("/console/checks?run=verify")
    assert "✗ every round&#39;s figures match its latest log entry" in broken.text
    auditor.client.headers.pop("Accept-Language")  # the checks' names in the page's language
    chinese = auditor.get("/console/checks?run=all").text
    assert "✗ 每期数据与其最新日志条目一致" in chinese and "✓ 每笔交易借贷平衡" in chinese
    assert "every transaction balances" not in chinese


def test_the_dashboard_draws_from_json_and_offers_each_chart_as_csv(
    world: World, operator: Browser
) -> None:
    page = operator.get("/console/dashboard")
    assert page.status_code == 200
    assert '<script type="application/json" id="chart-members-data">' in page.text
    assert "<script>" not in page.text  # CSP: no inline script
    got = operator.get("/console/dashboard/members.csv")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0] == ["label", "xiang-hu-bao"]
    members = api_members(world)
    assert rows[1] == [ROUND_DAY.isoformat(), str(members)]
    share = operator.get("/console/dashboard/share-xiang-hu-bao.csv")
    assert share.status_code == 200 and "." in share.text.splitlines()[1]  # yuan text, exact
    assert operator.get("/console/dashboard/nope.csv").status_code == 404


def test_the_dashboard_charts_speak_the_pages_language(world: World, operator: Browser) -> None:
    """Each chart's caption, its legend, its axis and its table in Chinese, not only the heading."""
    operator.client.headers.pop("Accept-Language")
    page = operator.get("/console/dashboard")
    block = r'<script type="application/json" id="chart-([\w-]+)-data">(.*?)</script>'
    specs = {
        m.group(1): json.loads(html.unescape(m.group(2)))
        for m in re.finditer(block, page.text, re.S)
    }
    joins = specs["joins"]
    assert [s["label"] for s in joins["series"]] == ["加入", "退出"] and joins["unit"] == "成员人数"
    share = specs["share-xiang-hu-bao"]
    assert [s["label"] for s in share["series"]][:2] == ["人均分摊", "本年累计"]
    assert "<figcaption>每日加入与退出</figcaption>" in page.text
    assert "Joins and leaves per day" not in page.text and "Year to date" not in page.text
    # The CSV stays a data file: its header keeps the English words.
    rows = list(csv.reader(io.StringIO(operator.get("/console/dashboard/joins.csv").text)))
    assert rows[0] == ["label", "Joins", "Leaves"]


def api_members(world: World) -> int:
    return int(world.api.rows("select members from rounds where id = :i", i=world.round_id)[0][0])


def test_the_console_speaks_chinese_by_default(world: World, operator: Browser) -> None:
    operator.client.headers.pop("Accept-Language")
    page = operator.get("/console")
    assert "运营后台" in page.text and "数据看板" in page.text
    assert "核对账目（huzhu audit）" in operator.get("/console/checks").text


def test_a_chart_words_its_texts_but_never_an_empty_one() -> None:
    """gettext("") answers the catalogue's header: an empty label must stay empty."""
    chart = Chart("c", "Title", "bar", ["", "in preparation"], [Series("Joins", [1, 2])], "")
    words = {"": "Project-Id-Version: huzhu", "Title": "标题", "in preparation": "筹备中",
             "Joins": "加入"}  # fmt: skip
    spec = chart.spec(lambda t: words.get(t, t))
    assert spec["labels"] == ["", "筹备中"] and spec["unit"] == ""
    assert chart.rows(lambda t: words.get(t, t))[0][0] == ""
    assert chart.heading(lambda t: words.get(t, t)) == "标题"
