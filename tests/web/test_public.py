"""Public pages: plans, round reports and announcements, in Chinese and English, masked."""

from __future__ import annotations

from webkit import Web, World, text_of

from huzhu.domain.identity import mask_name

PLAN = "xiang-hu-bao"


def test_home_lists_every_plan_with_the_notice_in_chinese_by_default(
    web: Web, world: World
) -> None:
    page = web.browser().get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    text = text_of(page)
    assert "互助计划不是保险" in text
    assert "相互宝" in text or "Xiang Hu Bao" not in text  # the Chinese plan names
    assert f'href="/plans/{PLAN}"' in page.text
    assert '<html lang="zh-CN">' in page.text


def test_the_plan_list_address_leads_to_the_home_page(web: Web, world: World) -> None:
    """`/plans` is where a visitor looks for the list of plans: the home page holds it."""
    page = web.browser().get("/plans")
    assert page.status_code == 308 and page.headers["location"] == "/"
    assert f'href="/plans/{PLAN}"' in web.browser().get("/plans", follow_redirects=True).text


def test_english_by_query_is_remembered_in_a_cookie(web: Web, world: World) -> None:
    browser = web.browser()
    page = browser.get("/?lang=en")
    assert "not insurance" in text_of(page)
    assert '<html lang="en">' in page.text
    assert "huzhu_lang=en" in page.headers["set-cookie"]
    again = browser.get("/plans/" + PLAN)
    assert "Who can join" in text_of(again)


def test_english_from_accept_language(web: Web, world: World) -> None:
    page = web.browser("en").get("/plans/" + PLAN)
    text = text_of(page)
    assert "Who can join" in text and "谁可以加入" not in text


def test_plan_page_states_every_rule_in_words(web: Web, world: World) -> None:
    page = web.browser().get(f"/plans/{PLAN}")
    assert page.status_code == 200
    text = text_of(page)
    for phrase in ("谁可以加入", "保障范围", "按确诊年龄的互助金", "等待期", "每轮分摊如何计算",
                   "规则变更记录", "实时数据", "不是保险"):  # fmt: skip
        assert phrase in text, phrase
    assert "300,000.00" in text  # the payout band under 40
    assert "8%" in text  # the management fee
    assert "0.10" in text  # the per-case cap
    assert "188.00" in text  # the yearly cap
    assert "90 天" in text
    assert "版本 1" in text and "SHA-256" in text
    assert "share-chart-data" in page.text  # chart data in a JSON block, drawn by Chart.js
    assert "<script>" not in page.text  # no inline script


def test_plan_page_shows_live_figures_of_the_round(web: Web, world: World) -> None:
    text = text_of(web.browser("en").get(f"/plans/{PLAN}"))
    assert "Members" in text and "Recent rounds" in text
    assert f"/rounds/{world.round_id}" in web.browser().get(f"/plans/{PLAN}").text


def test_unknown_plan_is_a_page_not_a_problem(web: Web) -> None:
    page = web.browser().get("/plans/no-such-plan")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "没有这个计划" in text_of(page)


def test_round_report_has_the_figures_the_record_and_masked_cases(web: Web, world: World) -> None:
    page = web.browser().get(f"/rounds/{world.round_id}")
    assert page.status_code == 200
    text = text_of(page)
    for phrase in ("锁定时成员数", "人均分摊", "管理费", "运营方兜底支付", "结转下轮的结余", "链头",
                   "默克尔根", "huzhu verify --proof"):  # fmt: skip
        assert phrase in text, phrase
    assert mask_name("吴小漫") in text
    assert "吴小漫" not in page.text
    assert "13800138000" not in page.text
    row = world.api.rows("SELECT root FROM round_merkle WHERE round_id = :r", r=world.round_id)
    if row:
        assert row[0].root in text


def test_round_report_in_english(web: Web, world: World) -> None:
    text = text_of(web.browser("en").get(f"/rounds/{world.round_id}"))
    assert "Members at the lock" in text and "How to check your own charge offline" in text


def test_announcements_show_masked_cards_and_no_objection_form_to_visitors(
    web: Web, world: World
) -> None:
    r = world.api.post(f"/v1/claims/{world.claim_b}/announce", world.reviewer)
    assert r.status_code == 200, r.text
    page = web.browser().get("/announcements")
    text = text_of(page)
    assert mask_name("王建国") in text
    assert "王建国" not in page.text
    assert "/object" not in page.text
    assert "登录后提出异议" in text


def test_every_public_page_sends_a_strict_csp(web: Web, world: World) -> None:
    for path in ("/", f"/plans/{PLAN}", f"/rounds/{world.round_id}", "/announcements", "/nope"):
        page = web.browser().get(path)
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert "frame-ancestors 'none'" in csp


def test_public_urls_carry_no_personal_data(web: Web, world: World) -> None:
    for path in ("/", f"/plans/{PLAN}", f"/rounds/{world.round_id}", "/announcements"):
        body = web.browser().get(path).text
        for user in (world.a, world.b, world.c):
            assert user.name is not None and user.name not in body, path
            assert user.id_number is not None and user.id_number not in body, path
