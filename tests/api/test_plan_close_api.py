"""Issue 9, shutdown through the API: `POST /v1/plans/{id}/close` (operators, Idempotency-Key)."""

from __future__ import annotations

from apikit import PLAN, Api, User


def close_body(notice: str = "2026-03-02", end: str = "2026-03-31") -> dict[str, object]:
    return {"notice_date": notice, "end_date": end, "refund_past_shares": False}


def test_an_operator_closes_a_plan_once_and_joins_stop_at_the_notice(api: Api) -> None:
    operator = api.account("operator", "operator")
    alice = api.member("alice")
    assert (
        api.post(f"/v1/plans/{PLAN}/close", alice, json=close_body(), key="c1").status_code == 403
    )
    bad = api.post(f"/v1/plans/{PLAN}/close", operator, json=close_body(end="2026-03-01"), key="c0")
    assert (bad.status_code, bad.json()["code"]) == (400, "end-before-notice")
    r = api.post(f"/v1/plans/{PLAN}/close", operator, json=close_body(), key="c1")
    assert r.status_code == 201, r.text
    assert r.json()["last_claim_day"] == "2026-09-27"  # 180 days after 31 March
    assert r.json()["refunds"]["members"] == 0  # post-paid: members hold no balance
    again = api.post(f"/v1/plans/{PLAN}/close", operator, json=close_body(), key="c1")
    assert again.status_code == 201 and again.json() == r.json()  # the same request, replayed
    twice = api.post(f"/v1/plans/{PLAN}/close", operator, json=close_body(), key="c2")
    assert (twice.status_code, twice.json()["code"]) == (409, "plan-closed")
    bob: User = api.identity(api.account("bob", "member"))
    joined = api.join(bob, PLAN)
    assert (joined.status_code, joined.json()["code"]) == (409, "plan-closing")
    assert api.count("public_log", "kind = 'plan-closing'") == 1
