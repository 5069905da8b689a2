"""GET /v1/plans/{plan_id}/forecast: staff only, from the plan's real members, money in fen."""

from __future__ import annotations

from apikit import PLAN, Api, World, problem

CODES = {"share-rising-fast", "net-outflow", "annual-cap-likely", "backstop-high"}


def test_staff_read_a_forecast_of_the_plans_members(world: World) -> None:
    api: Api = world.api
    for who in (world.operator, world.auditor):
        got = api.get(f"/v1/plans/{PLAN}/forecast?rounds=4&paths=3&seed=5", who)
        assert got.status_code == 200, got.text
        body = got.json()
        assert (body["plan_id"], body["paths"], body["seed"]) == (PLAN, 3, 5)
        assert len(body["rounds"]) == 4
        first = body["rounds"][0]
        live = api.count("memberships", "plan_id = :p AND lifecycle <> 'left'", p=PLAN)
        # Five live members and last round's share of 64,800 yuan each: most leave at once.
        assert live == 5 and 0 <= first["members_p5"] <= first["members"] <= live
        assert body["warnings"] == [] or {w["code"] for w in body["warnings"]} <= CODES
        assert first["share_p50"]["currency"] == "CNY" and isinstance(
            first["share_p50"]["fen"], int
        )
    again = api.get(f"/v1/plans/{PLAN}/forecast?rounds=4&paths=3&seed=5", world.operator)
    assert again.json() == body  # same seed, same forecast


def test_members_are_refused_and_sizes_are_bounded(world: World) -> None:
    api: Api = world.api
    problem(api.get(f"/v1/plans/{PLAN}/forecast", world.a), 403, "role-required")
    assert api.get(f"/v1/plans/{PLAN}/forecast?paths=100000", world.operator).status_code == 422
    problem(api.get("/v1/plans/no-such-plan/forecast", world.operator), 404, "unknown-plan")
