"""Issue 9 in the views: once a plan has activated, the API and the public pages read the latched
state (`plan-activated` in the public log), never the live headcount against the threshold."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from test_activation import PLAN, THRESHOLD, small_fosun

from helpers import at, install, join_one, publish_text
from huzhu.api.app import create_app
from huzhu.api.settings import Settings
from huzhu.services.members.service import leave
from huzhu.storage.uow import UnitOfWork

NOW = at("2025-10-05")


def client(engine: Engine) -> TestClient:
    app = create_app(Settings(cookie_secure=False), engine)
    app.state.clock = lambda: NOW
    return TestClient(app)


def shown(web: TestClient, path: str) -> str:
    """The page's part about PLAN: the home page's card of it, or the whole plan page."""
    text = web.get(path).text
    if path.startswith("/plans/"):
        return text
    card = text[text.index(f'href="/plans/{PLAN}"') :]
    return card[: card.index("</li>")]


def test_a_plan_whose_count_drops_after_activation_is_not_in_preparation(engine: Engine) -> None:
    install(engine, at("2025-01-01"))
    publish_text(engine, small_fosun(), at("2025-01-01"))
    joined = [
        join_one(engine, PLAN, at("2025-10-01"), n=n).membership_id for n in range(1, THRESHOLD + 1)
    ]
    assert len(joined) == THRESHOLD  # the fifth join activated the plan
    with UnitOfWork(engine) as uow:
        leave(uow, joined[0], at("2025-10-02"))
        uow.commit()

    web = client(engine)
    summary = web.get(f"/v1/plans/{PLAN}").json()
    assert summary["members"] == THRESHOLD - 1
    assert summary["in_preparation"] is False
    listed = {p["id"]: p for p in web.get("/v1/plans").json()["items"]}
    assert listed[PLAN]["in_preparation"] is False
    for path in (f"/plans/{PLAN}?lang=en", "/?lang=en"):
        assert "In preparation" not in shown(web, path), path


def test_a_plan_short_of_its_threshold_is_in_preparation(engine: Engine) -> None:
    install(engine, at("2025-01-01"))
    publish_text(engine, small_fosun(), at("2025-01-01"))
    join_one(engine, PLAN, at("2025-10-01"), n=1)

    web = client(engine)
    assert web.get(f"/v1/plans/{PLAN}").json()["in_preparation"] is True
    for path in (f"/plans/{PLAN}?lang=en", "/?lang=en"):
        assert "In preparation" in shown(web, path), path
