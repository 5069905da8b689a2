"""Console journeys in Debian's Chromium against a live server on PostgreSQL, with axe-core."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from axe_playwright_python.sync_playwright import Axe
from consolekit import NOW, Api, Clock, User, World, build_world
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine
from sqlalchemy import text as sql

from huzhu.api.deps import CSRF_COOKIE, SESSION_COOKIE
from huzhu.services.accounts.service import open_session
from huzhu.storage.uow import UnitOfWork

pytestmark = pytest.mark.browser
NEXT_DAY = "2026-03-21"


@pytest.fixture
def world(postgres: Engine) -> World:
    return build_world(Api(postgres, Clock(NOW)))


@pytest.fixture
def server(world: World) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(world.api.app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture
def chromium(browser: Browser) -> Browser:
    return browser  # the session's one Playwright (tests/web/conftest.py)


def signed_in(chromium: Browser, world: World, base: str, user: User) -> Page:
    with UnitOfWork(world.api.engine) as uow:
        issued = open_session(uow, user.account_id, world.api.clock(), cookie=True,
                              ttl=world.api.app.state.settings.session_ttl)  # fmt: skip
        uow.commit()
    context = chromium.new_context(accept_downloads=True, locale="en-US")
    cookies: list[Any] = [
        {"name": SESSION_COOKIE, "value": issued.token, "url": base},
        {"name": CSRF_COOKIE, "value": issued.csrf_token, "url": base},
    ]
    context.add_cookies(cookies)
    return context.new_page()


def no_serious_violation(page: Page) -> None:
    found = Axe().run(page).response["violations"]
    bad = [(v["id"], v["impact"]) for v in found if v["impact"] in ("serious", "critical")]
    assert bad == [], bad


def test_an_auditor_reads_the_audit_log(chromium: Browser, world: World, server: str) -> None:
    page = signed_in(chromium, world, server, world.auditor)
    page.goto(f"{server}/console?lang=en")
    page.get_by_role("link", name="Checks").click()
    page.get_by_role("link", name="The audit log").click()
    assert page.get_by_role("cell", name="round.run").count() >= 1
    no_serious_violation(page)


def test_a_reviewer_takes_a_claim_to_its_announcement_and_reviews_an_objection(
    chromium: Browser, world: World, server: str
) -> None:
    page = signed_in(chromium, world, server, world.reviewer)
    page.goto(f"{server}/console/claims?lang=en")
    no_serious_violation(page)
    page.get_by_role("link", name=f"#{world.claim_b}", exact=True).click()
    page.get_by_role("button", name="Take this claim").click()
    page.get_by_role("button", name="Approve and announce").click()
    assert page.locator("h1 .state").inner_text() == "announced"
    r = world.api.post(
        f"/v1/claims/{world.claim_b}/objections", world.a, json={"reason": "诊断早于入会"}
    )
    assert r.status_code == 201, r.text
    page.reload()
    page.get_by_label("Explanation").last.fill("the record is dated after joining")
    page.get_by_role("button", name="Dismiss").click()
    assert "dismissed" in page.locator(f"#objection-{r.json()['id']}").inner_text()
    no_serious_violation(page)


def test_an_operator_previews_and_runs_a_round_then_downloads_a_csv(
    chromium: Browser, world: World, server: str
) -> None:
    world.api.clock.now = world.api.clock.now.replace(month=3, day=25)
    page = signed_in(chromium, world, server, world.operator)
    page.goto(f"{server}/console/dashboard?lang=en")
    before = page.locator("#t-members + figure + details tbody tr").count()
    page.goto(f"{server}/console/rounds")
    page.get_by_label("Plan", exact=True).select_option("xiang-hu-bao")
    page.get_by_label("Announcement date").fill(NEXT_DAY)
    page.get_by_role("button", name="Preview").click()
    assert page.locator("#q-members").inner_text().strip() != ""
    no_serious_violation(page)
    with world.api.engine.connect() as other:
        # Rounds wait to be written while this is held: the run shows its stage meanwhile.
        other.execute(sql("LOCK TABLE rounds IN SHARE MODE"))
        page.get_by_role("button", name="Run this round").click()
        status = page.get_by_role("status")
        expect(status).to_contain_text("Running")
        expect(status).to_contain_text("Plan held")
        assert page.locator("#r-members").count() == 0
        no_serious_violation(page)
        other.commit()
    expect(page.locator("#r-members")).to_be_visible(timeout=30_000)  # the page reloads itself
    expect(status).to_contain_text("Finished")
    no_serious_violation(page)
    page.get_by_role("link", name="The round's collection and payouts").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(NEXT_DAY)
    page.goto(f"{server}/console/dashboard")
    assert page.locator("#t-members + figure + details tbody tr").count() == before + 1
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV (members)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert NEXT_DAY in text
    no_serious_violation(page)


def test_an_operator_previews_a_plan_change_then_publishes_it(
    chromium: Browser, world: World, server: str
) -> None:
    r = world.api.post(f"/v1/claims/{world.claim_a}/approve", world.reviewer)
    assert r.status_code == 200, r.text
    page = signed_in(chromium, world, server, world.operator)
    page.goto(f"{server}/console?lang=en")
    page.get_by_role("link", name="Plan rules").click()
    no_serious_violation(page)
    page.locator('tr:has(code:text-is("xiang-hu-bao"))').get_by_role("link").click()
    document = page.get_by_label("Plan file (TOML)").input_value()
    edited = 'changes = "管理费降至 6%"\n' + document.replace(
        "\nversion = 1\n", "\nversion = 2\n", 1
    ).replace("effective_from = 2018-10-16", "effective_from = 2026-03-10", 1).replace(
        "management_fee_bp = 800", "management_fee_bp = 600", 1
    )
    page.get_by_label("Plan file (TOML)").fill(edited.replace("version = 2", "version = 5", 1))
    page.get_by_role("button", name="Check and preview").click()
    assert "version" in page.get_by_role("alert").inner_text()  # the field is named
    page.get_by_label("Plan file (TOML)").fill(edited)
    page.get_by_role("button", name="Check and preview").click()
    assert page.locator("#share-now").inner_text() != page.locator("#share-new").inner_text()
    no_serious_violation(page)
    page.get_by_role("button", name="Publish this version").click()
    assert page.get_by_role("status").inner_text() == "Published."
    row = page.locator('tr:has(code:text-is("xiang-hu-bao")) ul.versions')
    assert "管理费降至 6%" in row.inner_text()
    versions = world.api.count("plan_versions", "plan_id = 'xiang-hu-bao'")
    assert versions == 2


def test_an_operator_resolves_a_reconciliation_issue(
    chromium: Browser, world: World, server: str
) -> None:
    with UnitOfWork(world.api.engine) as uow:
        uow.payments.add_issue(
            {"run_at": NOW, "gateway": "sandbox", "statement_date": NOW.date(), "ref": "xhb-d-1",
             "kind": "amount-mismatch", "expected": 5000, "actual": 4990,
             "detail": "the books show 5000, the gateway's statement 4990"}
        )  # fmt: skip
        uow.commit()
    page = signed_in(chromium, world, server, world.operator)
    page.goto(f"{server}/console/rounds?lang=en")
    page.get_by_role("link", name="Resolve reconciliation issues").click()
    no_serious_violation(page)
    page.get_by_label("What you found and did").fill("网关少扣 0.10 元，已与网关核实并更正")
    page.get_by_role("button", name="Resolve").click()
    assert page.get_by_role("status").inner_text() == "Resolved."
    assert "已与网关核实" in page.content()
    no_serious_violation(page)
    assert world.api.count("audit_log", "action = 'reconciliation.resolved'") == 1
