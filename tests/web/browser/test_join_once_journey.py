"""A member joins a prepaid plan in Chromium with a double click, then the browser sends the very
same form again: one membership, one deposit asked of the gateway (issue 11)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Browser, expect

from api.apikit import healthy
from conftest import PHONE, Live, new_page
from helpers import id_number

pytestmark = pytest.mark.browser
PREPAID = "qingsong-huzhu"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_double_click_and_a_resent_form_join_once(
    live: Live, browser: Browser, lang: str
) -> None:
    number = id_number(880 + len(lang) + (lang == "en"), date(1990, 7, 1))
    asked_before = live.api.count("sandbox_requests")
    context, page = new_page(browser, lang, PHONE)
    page.goto(live.url + "/me/sign-up")
    page.get_by_label("用户名" if lang == "zh" else "Username").fill(f"double-{lang}")
    page.locator("#f-password").fill("a long enough password")
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(live.url + "/me")

    page.goto(f"{live.url}/me/join/{PREPAID}")
    form = page.locator("form.stack")
    key = form.locator('input[name="key"]').get_attribute("value")
    assert key, "the join form carries no idempotency key"
    page.locator("#f-name").fill("刘青松")
    page.locator("#f-id_number").fill(number)
    for question, answer in healthy(live.api.engine, PREPAID).items():
        page.locator(f'input[name="q-{question}"][value="{"yes" if answer else "no"}"]').check()
    sent = {
        name: form.locator(f'[name="{name}"]').first.input_value()
        for name in ("csrf", "key", "name", "id_number")
    }
    sent |= {f"q-{q}": ("yes" if a else "no") for q, a in healthy(live.api.engine, PREPAID).items()}
    form.locator("button[type=submit]").dblclick()
    page.wait_for_url(re.compile(r".*/me/plans/\d+\?joined=1"))
    joined_at = page.url.split("?")[0]
    expect(page.locator("main")).to_be_visible()

    # the browser sends the same form again (a reload that re-posts, a back-and-resubmit)
    again = page.request.post(f"{live.url}/me/join/{PREPAID}", form=sent, max_redirects=0)
    assert again.status == 303 and again.headers["location"].split("?")[
        0
    ] == joined_at.removeprefix(live.url)
    mine = live.api.rows(
        "SELECT m.id FROM memberships m JOIN people p ON p.id = m.person_id WHERE p.id_number = :n",
        n=number,
    )
    assert len(mine) == 1
    assert live.api.count("sandbox_requests") - asked_before == 1  # one deposit asked
    context.close()
