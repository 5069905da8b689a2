"""Journeys in Chromium, in both languages, at phone (375 px) and desktop widths; axe-core checks
every page on the way for serious or critical accessibility violations."""

from __future__ import annotations

import itertools
import re
from datetime import date

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from webkit import PDF

from api.apikit import PLAN, healthy
from conftest import DESKTOP, PHONE, Live, new_page
from helpers import id_number

pytestmark = pytest.mark.browser
AXE = Axe()
SIZES = {"phone": PHONE, "desktop": DESKTOP}
WORDS = {
    "zh": {"notice": "互助计划不是保险", "join": "加入本计划", "waiting": "等待期剩余天数",
           "objected": "您的异议已记录", "voted": "您的投票已密封", "left": "退出时间",
           "report": "锁定时成员数", "statement": "累计分摊", "submitted": "您的申请已提交"},
    "en": {"notice": "not insurance", "join": "Join this plan", "waiting": "Days of waiting left",
           "objected": "Your objection was recorded", "voted": "Your vote is sealed",
           "left": "Left on", "report": "Members at the lock", "statement": "Total paid",
           "submitted": "Your claim was submitted"},
}  # fmt: skip
_n = itertools.count(1)


def accessible(page: Page) -> None:
    """No serious or critical axe-core violation on the page as it stands."""
    results = AXE.run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], (page.url, [(v["id"], v["nodes"][0]["target"]) for v in bad])


def fits(page: Page) -> None:
    """Nothing wider than the screen: no sideways scrolling on a phone."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, (page.url, overflow)


def visit(page: Page, url: str) -> None:
    page.goto(url)
    accessible(page)
    fits(page)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_visitor_reads_a_plan_and_a_round_report(
    live: Live, browser: Browser, lang: str, size: str
) -> None:
    words = WORDS[lang]
    context, page = new_page(browser, lang, SIZES[size])
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    visit(page, live.url + "/")
    expect(page.locator("body")).to_contain_text(words["notice"])
    page.locator(f'a[href="/plans/{PLAN}"]').first.click()
    page.wait_for_load_state()
    accessible(page)
    fits(page)
    expect(page.get_by_role("link", name=words["join"])).to_be_visible()
    expect(page.locator("aside.notice")).to_be_visible()
    # The share chart is drawn by Chart.js from the page's JSON block.
    assert page.locator("canvas#share-chart").evaluate("c => c.width > 0")
    page.locator(f'a[href="/rounds/{live.world.round_id}"]').first.click()
    page.wait_for_load_state()
    accessible(page)
    fits(page)
    expect(page.locator("main")).to_contain_text(words["report"])
    expect(page.locator("main")).to_contain_text("huzhu verify --proof")
    visit(page, live.url + "/announcements")
    assert errors == [], errors  # CSP violations and script errors show up here
    context.close()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_member_signs_up_joins_claims_objects_and_leaves(
    live: Live, browser: Browser, lang: str, size: str, tmp_path: object
) -> None:
    words = WORDS[lang]
    n = next(_n)
    context, page = new_page(browser, lang, SIZES[size])
    visit(page, live.url + "/me/sign-up")
    page.get_by_label("用户名" if lang == "zh" else "Username").fill(f"walker{n}{lang}{size}")
    page.locator("#f-password").fill("a long enough password")
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(live.url + "/me")
    accessible(page)

    visit(page, f"{live.url}/me/join/{PLAN}")
    page.locator("#f-name").fill("刘" + "一二三四五六七八"[n % 8] + "红")
    page.locator("#f-id_number").fill(id_number(700 + n, date(1991, 2, 3)))
    for question, answer in healthy(live.api.engine, PLAN).items():
        page.locator(f'input[name="q-{question}"][value="{"yes" if answer else "no"}"]').check()
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/me/plans/\d+\?joined=1"))
    accessible(page)
    fits(page)
    expect(page.locator("main")).to_contain_text(words["waiting"])
    plan_url = page.url.split("?")[0]

    visit(page, plan_url + "/statement")
    expect(page.locator("main")).to_contain_text(words["statement"])

    visit(page, live.url + "/me/claims/new")
    evidence = tmp_path / "report.pdf"  # type: ignore[operator]
    evidence.write_bytes(PDF)
    page.locator("#f-hospital").fill("北京协和医院")
    page.locator("#f-condition_code").select_option("AC-01")
    page.locator("#f-file").set_input_files(str(evidence))
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/me/claims/\d+\?submitted=1"))
    accessible(page)
    expect(page.locator("main")).to_contain_text(words["submitted"])

    visit(page, live.url + "/announcements")
    card = page.locator(f'form[action="/announcements/{live.announced_claim}/object"]')
    page.locator("details summary").first.click()
    card.locator("textarea").fill(
        "I know this case: the dates do not match." if lang == "en" else "日期对不上"
    )
    card.locator("button").click()
    page.wait_for_url(re.compile(r".*/announcements\?objected=\d+"))
    expect(page.locator("main")).to_contain_text(words["objected"])

    visit(page, plan_url + "/leave")
    page.locator("button.danger").click()
    page.wait_for_url(plan_url)
    accessible(page)
    expect(page.locator("main")).to_contain_text(words["left"])
    context.close()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_juror_reads_the_case_file_and_votes(
    live: Live, browser: Browser, lang: str, size: str
) -> None:
    """A member of long standing (the seeded world's) sees their statement and sits on a jury."""
    context, page = new_page(browser, lang, SIZES[size])
    context.add_cookies(live.session_for(live.juror))  # type: ignore[arg-type]
    visit(page, f"{live.url}/me/plans/{live.world.m_a}/statement")
    expect(page.locator("main")).to_contain_text(WORDS[lang]["statement"])
    assert page.locator("canvas#charges-chart").evaluate("c => c.width > 0")
    visit(page, live.url + "/me/jury")
    expect(page.locator("main")).to_contain_text("见附件")
    expect(page.locator("main")).not_to_contain_text("王")
    form = page.locator(f'form[action="/me/jury/{live.jury_id}/vote"]')
    if form.count():  # the first run votes; the sealed vote stands for the others
        form.locator('input[value="overturn"]').check()
        form.locator("button").click()
        page.wait_for_url(re.compile(r".*/me/jury\?voted=1"))
        expect(page.locator("main")).to_contain_text(WORDS[lang]["voted"])
    accessible(page)
    fits(page)
    visit(page, live.url + "/me/inbox")
    context.close()
