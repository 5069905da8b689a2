"""A round run from the console goes beside the request: the page polls its stages and counts,
it ends with the round, and a second start while one runs is refused on the plan's row."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest
from consolekit import NOW, Api, Browser, Clock, World, browser, build_world
from sqlalchemy import Engine, text

NEXT_DAY = "2026-03-21"  # the plan's next announcement date after ROUND_DAY
ASKED = {"plan_id": "xiang-hu-bao", "announce_date": NEXT_DAY}


def _due(world: World) -> None:
    api = world.api
    api.clock.now = api.clock.now.replace(month=3, day=23)
    r = api.post(f"/v1/claims/{world.claim_a}/approve", world.reviewer)
    assert r.status_code == 200, r.text
    api.clock.now = api.clock.now.replace(day=25)


def _ended(operator: Browser, location: str) -> dict[str, Any]:
    for _ in range(400):
        body: dict[str, Any] = operator.get(f"{location}/progress.json").json()
        if body["finished"]:
            return body
        time.sleep(0.05)
    raise AssertionError("the run did not end")


def test_a_run_reports_its_stages_and_ends_with_the_round(world: World, operator: Browser) -> None:
    api = world.api
    _due(world)
    before = api.count("rounds")
    started = operator.post("/console/rounds/run", ASKED)
    assert started.status_code == 303, started.text
    location = started.headers["location"]
    assert location.startswith("/console/rounds/runs/")
    job = _ended(operator, location)
    assert job["error"] is None, job
    assert api.count("rounds") == before + 1
    rid, members = api.rows("select id, members from rounds order by id desc")[0]
    assert job["round_id"] == rid
    assert job["stages"] == [
        "plan held", "claims taken", "charges written", "transaction posted",
        "public record written",
    ]  # fmt: skip
    assert job["stages_text"][2] == "Members charged"
    assert job["done"] == job["total"] == 1
    page = operator.get(location)
    assert page.status_code == 200
    assert f'<dd id="r-members">{members}</dd>' in page.text
    assert f'href="/console/rounds/{rid}"' in page.text
    money = operator.get(f"/console/rounds/{rid}/progress.json").json()
    assert money["job"] is None  # the run is not the round's collection
    assert api.count("audit_log", "action = 'round.run'") == 2  # the world's round, and this one
    again = operator.post("/console/rounds/run", ASKED)  # run already: the same round, no entry
    assert _ended(operator, again.headers["location"])["round_id"] == rid
    assert api.count("rounds") == before + 1
    assert api.count("audit_log", "action = 'round.run'") == 2


def test_a_refused_run_says_why_on_the_runner(world: World, operator: Browser) -> None:
    r = operator.post("/console/rounds/run", {**ASKED, "announce_date": "2026-03-08"})
    assert r.status_code == 400 and 'role="alert"' in r.text
    assert operator.get("/console/rounds/runs/nosuchjob").status_code == 404
    started = operator.post("/console/rounds/run", ASKED)  # not due yet: it stops, and says so
    location = started.headers["location"]
    assert "round-not-due" in _ended(operator, location)["error"]
    for path in (location, f"{location}/progress.json"):
        assert browser(world.api, world.b).get(path).status_code == 403
        assert browser(world.api, None).get(path).status_code == 303


@pytest.fixture
def pg_world(postgres: Engine) -> World:
    return build_world(Api(postgres, Clock(NOW)))


def test_a_start_while_the_plan_is_held_is_refused(pg_world: World) -> None:
    """Decided on the plan's row: whoever holds it (a run in another server process) wins."""
    api = pg_world.api
    _due(pg_world)
    operator = browser(api, pg_world.operator)
    before = api.count("rounds")
    with api.engine.connect() as other:
        other.execute(text("select id from plans where id = 'xiang-hu-bao' for no key update"))
        refused = operator.post("/console/rounds/run", ASKED)
        other.rollback()
    assert refused.status_code == 409 and 'role="alert"' in refused.text, refused.text
    assert "running already" in refused.text
    assert api.count("rounds") == before
    ran = operator.post("/console/rounds/run", ASKED)
    assert _ended(operator, ran.headers["location"])["error"] is None
    assert api.count("rounds") == before + 1


def test_two_simultaneous_starts_give_one_run(pg_world: World) -> None:
    api = pg_world.api
    _due(pg_world)
    before = api.count("rounds")
    operators = [browser(api, pg_world.operator) for _ in range(2)]
    barrier = threading.Barrier(2)
    answers: list[httpx.Response] = []

    def start(operator: Browser) -> None:
        barrier.wait(timeout=30)
        answers.append(operator.post("/console/rounds/run", ASKED))

    threads = [threading.Thread(target=start, args=(o,)) for o in operators]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(a.status_code for a in answers) in ([303, 303], [303, 409]), answers
    for a in answers:
        if a.status_code == 303:
            assert _ended(operators[0], a.headers["location"])["error"] is None
    assert api.count("rounds") == before + 1
    assert api.count("audit_log", "action = 'round.run'") == 2
