"""Issue 9: two operators close one plan at the same moment, on PostgreSQL. The closing is
decided on the plan's row, held: one request wins (201), the other is refused (409
`plan-closed`), and the plan is closed, logged and refunded once."""

from __future__ import annotations

import pytest
from apikit import NOW, PLAN, Api, Clock
from racekit import one_winner, race
from sqlalchemy import Engine


@pytest.fixture
def api(postgres: Engine) -> Api:
    return Api(postgres, Clock(NOW))


def test_two_simultaneous_closes_one_wins_one_is_refused(api: Api) -> None:
    first, second = api.account("op1", "operator"), api.account("op2", "operator")
    api.member("alice")
    body = {"notice_date": "2026-03-02", "end_date": "2026-03-31"}
    calls = [
        lambda: api.post(f"/v1/plans/{PLAN}/close", first, json=body, key="close-a"),
        lambda: api.post(f"/v1/plans/{PLAN}/close", second, json=body, key="close-b"),
    ]
    outcomes = race(calls)
    one_winner(outcomes, "409 plan-closed")
    assert api.count("plan_closures") == 1
    assert api.count("operator_paid_periods") == 1
    assert api.count("public_log", "kind = 'plan-closing'") == 1
    assert api.count("public_log", "kind = 'plan-refunds'") == 1
