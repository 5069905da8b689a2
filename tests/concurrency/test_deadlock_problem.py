"""A real PostgreSQL deadlock inside a request answers a 409 `conflict-retry` problem, not a 500.

Two requests lock the same two memberships through the app's own unit of work, in opposite
orders; PostgreSQL aborts one of them (SQLSTATE 40P01). The aborted one wrote nothing, so the
client is told to send it again, and the other one commits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from apikit import NOW, PLAN, Api, Clock
from fastapi import APIRouter
from racekit import race, tally
from sqlalchemy import Engine

from huzhu.api.deps import Uow
from huzhu.web.errors import HtmlRoute


@pytest.fixture
def api(postgres: Engine) -> Api:
    return Api(postgres, Clock(NOW))


def _deadlocking(api: Api) -> tuple[int, int, Callable[..., dict[str, int]]]:
    """Two memberships, and a handler that locks them in the order its path names them."""
    first = api.member("alice").memberships[PLAN]
    second = api.member("bob").memberships[PLAN]
    both_hold_one = threading.Barrier(2, timeout=30)

    def lock_in_order(a: int, b: int, uow: Uow) -> dict[str, int]:
        uow.memberships.get(a, lock=True)
        both_hold_one.wait()  # each now holds one row and asks for the other's
        uow.memberships.get(b, lock=True)
        uow.commit()
        return {"locked": 2}

    return first, second, lock_in_order


def test_a_deadlock_answers_409_conflict_retry(api: Api) -> None:
    first, second, lock_in_order = _deadlocking(api)
    api.app.add_api_route("/test/lock/{a}/{b}", lock_in_order, methods=["POST"])
    outcomes = race(
        [
            lambda: api.post(f"/test/lock/{first}/{second}"),
            lambda: api.post(f"/test/lock/{second}/{first}"),
        ]
    )
    assert tally(outcomes) == {"ok": 1, "409 conflict-retry": 1}, [o.value.text for o in outcomes]
    refused = next(o.value for o in outcomes if o.value.status_code == 409)
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["status"] == 409


def test_a_deadlock_in_a_portal_form_answers_a_409_page(api: Api) -> None:
    first, second, lock_in_order = _deadlocking(api)
    pages = APIRouter(route_class=HtmlRoute)
    pages.add_api_route("/test/page/{a}/{b}", lock_in_order, methods=["POST"])
    api.app.include_router(pages)
    outcomes = race(
        [
            lambda: api.post(f"/test/page/{first}/{second}"),
            lambda: api.post(f"/test/page/{second}/{first}"),
        ]
    )
    statuses = sorted(o.value.status_code for o in outcomes)
    assert statuses == [200, 409], [o.value.text[:300] for o in outcomes]
    refused = next(o.value for o in outcomes if o.value.status_code == 409)
    assert refused.headers["content-type"].startswith("text/html")
    assert "同一时刻有另一项更改" in refused.text
