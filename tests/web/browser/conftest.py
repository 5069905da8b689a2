"""A live huzhu (uvicorn, in a thread) on a temporary SQLite database with a small world, and
Debian's Chromium driven by Playwright. Playwright's own browser download cannot work here, so
the browser is /usr/bin/chromium; a missing browser fails the tests, it never skips them."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page

from api.apikit import DRAWN_JURY, NOW, Api, Clock, User, World, build_world, claim_rules
from huzhu.api.deps import CSRF_COOKIE, SESSION_COOKIE
from huzhu.domain.jury import QUESTIONS
from huzhu.services.accounts.service import open_session
from huzhu.storage.engine import make_engine, migrate
from huzhu.storage.evidence import LocalEvidenceStore
from huzhu.storage.uow import UnitOfWork

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
ANSWERS = {"answers": {q.id: q.answer for q in QUESTIONS}}


@dataclass
class Live:
    url: str
    api: Api
    world: World
    juror: User
    jury_id: int
    announced_claim: int

    def session_for(self, user: User) -> list[dict[str, Any]]:
        """Cookies of a signed-in session (the seeded accounts have no password)."""
        with UnitOfWork(self.api.engine) as uow:
            issued = open_session(
                uow, user.account_id, self.api.clock(), cookie=True, ttl=timedelta(days=3650)
            )
            uow.commit()
        return [
            {"name": SESSION_COOKIE, "value": issued.token, "url": self.url, "httpOnly": True},
            {"name": CSRF_COOKIE, "value": issued.csrf_token or "", "url": self.url},
        ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed(api: Api) -> tuple[World, User, int, int]:
    """The API tests' world, then: a rejected claim appealed to a jury of members who passed the
    juror test, and a case on announcement."""
    w = build_world(api)
    more = [api.member(f"juror{k}", name=f"陪审员{k}") for k in range(5)]
    api.clock.now += timedelta(days=31)
    for user in (w.a, w.reviewer, *more):
        assert api.post("/v1/juror-test", user, json=ANSWERS).status_code == 200
    claim_rules(api, DRAWN_JURY)
    rejection = {"reason_code": "no-evidence", "explanation": "no hospital report"}
    assert api.post(f"/v1/claims/{w.claim_b}/reject", w.reviewer, json=rejection).status_code == 200
    assert api.post(f"/v1/claims/{w.claim_b}/appeal", w.b, json={"statement": "见附件"}).is_success
    jury = api.post(f"/v1/claims/{w.claim_b}/jury", w.operator,
                    json={"seed": "beacon-2026-04-09-0001"})  # fmt: skip
    assert jury.status_code == 201, jury.text
    assert api.post(f"/v1/claims/{w.claim_a}/announce", w.reviewer).status_code == 200
    return w, w.a, int(jury.json()["id"]), w.claim_a


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("live")
    engine = make_engine(f"sqlite:///{folder / 'huzhu.db'}")
    migrate(engine)
    api = Api(engine, Clock(NOW))
    api.app.state.evidence_store = LocalEvidenceStore(folder / "evidence")
    world, juror, jury_id, announced = _seed(api)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(api.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True, name="live-huzhu")
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the live server did not start"
        time.sleep(0.05)
    yield Live(f"http://127.0.0.1:{port}", api, world, juror, jury_id, announced)
    server.should_exit = True
    thread.join(timeout=10)


def new_page(browser: Browser, lang: str, size: dict[str, int]) -> tuple[BrowserContext, Page]:
    context = browser.new_context(
        viewport=size,
        locale="zh-CN" if lang == "zh" else "en-US",
        is_mobile=size is PHONE,
        has_touch=size is PHONE,
    )
    return context, context.new_page()
