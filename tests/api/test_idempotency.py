"""Idempotency-Key on every POST that creates a membership or moves money (issue 3, "Idempotency").

A replay returns the first answer and writes nothing; the same key with another body is a 409; a
refused first attempt stores nothing, so the key stays free; keys belong to one account.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from apikit import AFTER_LOCK, PLAN, ROUND_DAY, Api, User, live_server, problem

from helpers import healthy

MONEY_TABLES = ("memberships", "ledger_transactions", "member_credits", "rounds", "audit_log")


def snapshot(api: Api) -> dict[str, int]:
    return {t: api.count(t) for t in (*MONEY_TABLES, "idempotency_keys", "webhook_events")}


def top_up(api: Api, user: User, membership: int, fen: int, key: str | None) -> httpx.Response:
    return api.post(
        f"/v1/memberships/{membership}/top-ups", user, json={"amount_fen": fen}, key=key
    )


def test_a_key_is_required(api: Api) -> None:
    alice = api.member("alice")
    operator = api.account("operator", "operator")
    api.clock.now = AFTER_LOCK
    before = snapshot(api)
    requests = [
        api.join(alice, "meituan-huzhu", key=None),
        top_up(api, alice, alice.memberships[PLAN], 500, None),
        api.post(
            f"/v1/plans/{PLAN}/rounds", operator, json={"announce_date": ROUND_DAY.isoformat()}
        ),
    ]
    for r in requests:
        body = problem(r, 400, "idempotency-key-required")
        assert body["field"] == "Idempotency-Key"
    for bad in ("has space", "", "tab\tinside"):
        problem(top_up(api, alice, alice.memberships[PLAN], 500, bad), 400)
    problem(top_up(api, alice, alice.memberships[PLAN], 500, "k" * 201), 422)
    assert snapshot(api) == before


def test_a_replayed_join_returns_the_first_answer(api: Api) -> None:
    alice = api.member("alice", plan=None)
    first = api.join(alice, key="join-1")
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    after_first = snapshot(api)
    api.clock.now = AFTER_LOCK  # later, even after leaving, the replay is the first answer
    api.post(f"/v1/memberships/{first.json()['membership']['id']}/leave", alice)
    after_leave = snapshot(api)
    for _ in range(2):
        again = api.join(alice, key="join-1")
        assert again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.content == first.content
    assert snapshot(api) == after_leave
    assert after_leave["memberships"] == after_first["memberships"] == 1


def test_a_replayed_top_up_moves_money_once(api: Api) -> None:
    alice = api.member("alice", plan="qingsong-huzhu")
    membership = alice.memberships["qingsong-huzhu"]
    first = top_up(api, alice, membership, 1000, "pay-1")
    assert first.status_code == 201, first.text
    assert first.json()["amount"] == {"fen": 1000, "currency": "CNY"}
    assert first.json()["balance"] == {"fen": 1000, "currency": "CNY"}
    before = snapshot(api)
    again = top_up(api, alice, membership, 1000, "pay-1")
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert snapshot(api) == before
    balance = api.get(f"/v1/memberships/{membership}", alice).json()["balance"]
    assert balance == {"fen": 1000, "currency": "CNY"}
    # the same key for another amount is refused and moves nothing
    problem(top_up(api, alice, membership, 2000, "pay-1"), 409, "idempotency-key-reused")
    assert snapshot(api) == before
    # a new key is a new payment
    assert top_up(api, alice, membership, 2000, "pay-2").json()["balance"]["fen"] == 3000
    assert api.count("member_credits") == 2


def test_a_replayed_round_runs_once(api: Api) -> None:
    api.member("alice")
    operator = api.account("operator", "operator")
    api.clock.now = AFTER_LOCK
    body = {"announce_date": ROUND_DAY.isoformat()}
    url = f"/v1/plans/{PLAN}/rounds"
    first = api.post(url, operator, json=body, key="round-1")
    assert first.status_code == 201, first.text
    before = snapshot(api)
    again = api.post(url, operator, json=body, key="round-1")
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert snapshot(api) == before
    other_day = {"announce_date": "2026-02-21"}
    problem(api.post(url, operator, json=other_day, key="round-1"), 409, "idempotency-key-reused")
    # another key for the same period runs nothing either: the period has run (200, not 201)
    twice = api.post(url, operator, json=body, key="round-2")
    assert twice.status_code == 200
    assert twice.json() == first.json()
    assert api.count("rounds") == 1


def test_the_same_key_with_another_body_is_a_conflict(api: Api) -> None:
    alice = api.member("alice", plan=None)
    joined = api.join(alice, PLAN, key="k")
    assert joined.status_code == 201
    membership = joined.json()["membership"]["id"]
    before = snapshot(api)
    for other in (
        api.join(alice, "meituan-huzhu", key="k"),
        api.join(alice, PLAN, key="k", health_answers={"no-pending-tests": False}),
        top_up(api, alice, membership, 100, "k"),  # the same key on another endpoint
    ):
        body = problem(other, 409, "idempotency-key-reused")
        assert body["field"] == "Idempotency-Key"
    assert snapshot(api) == before


def test_a_refused_first_attempt_leaves_the_key_free(api: Api) -> None:
    alice = api.member("alice", plan=None)
    sick = {**healthy(api.engine, PLAN), "no-current-critical-illness": True}
    before = snapshot(api)
    for _ in range(2):  # refused each time on its merits, never replayed
        r = api.join(alice, PLAN, key="k", health_answers=sick)
        body = problem(r, 409, "health-declaration-failed")
        assert "idempotent-replayed" not in r.headers
        assert [v["code"] for v in body["violations"]] == ["health-declaration-failed"]
    assert snapshot(api) == before
    # the key is still unused: the corrected request (another body) goes through under it
    fixed = api.join(alice, PLAN, key="k")
    assert fixed.status_code == 201, fixed.text
    assert "idempotent-replayed" not in fixed.headers
    assert api.count("idempotency_keys") == 1
    replay = api.join(alice, PLAN, key="k")
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == fixed.content


def test_keys_belong_to_one_account(api: Api) -> None:
    alice = api.member("alice", plan="qingsong-huzhu")
    bob = api.member("bob", plan=None)
    a_join = api.join(alice, PLAN, key="shared")
    b_join = api.join(bob, PLAN, key="shared")
    assert a_join.status_code == b_join.status_code == 201
    assert "idempotent-replayed" not in b_join.headers
    assert a_join.json()["membership"]["id"] != b_join.json()["membership"]["id"]
    assert b_join.json()["membership"]["person_id"] == bob.person_id
    # B cannot reach A's stored answer with A's key either: a top-up with it is B's own request
    b_top = top_up(api, bob, b_join.json()["membership"]["id"], 700, "shared")
    problem(b_top, 409, "idempotency-key-reused")  # B's own "shared" was a join
    a_top = top_up(api, alice, alice.memberships["qingsong-huzhu"], 700, "pay")
    b_top = top_up(api, bob, b_join.json()["membership"]["id"], 700, "pay")
    assert a_top.status_code == b_top.status_code == 201
    assert "idempotent-replayed" not in b_top.headers
    assert a_top.json()["transaction_id"] != b_top.json()["transaction_id"]
    assert api.count("member_credits") == 2


# --- concurrent twins against a live server -------------------------------------------------


@pytest.mark.parametrize("twins", [8])
def test_concurrent_twins_move_money_once(api: Api, twins: int) -> None:
    """On PostgreSQL the twins race for the key; on SQLite writes queue. Either way: one credit."""
    alice = api.member("alice", plan="qingsong-huzhu")
    membership = alice.memberships["qingsong-huzhu"]
    answers: list[Any] = [None] * twins
    start = threading.Barrier(twins)

    def fire(i: int, base: str) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            start.wait()
            r = client.post(
                f"/v1/memberships/{membership}/top-ups",
                json={"amount_fen": 1234},
                headers={**alice.auth, "Idempotency-Key": "double-click"},
            )
            answers[i] = (r.status_code, r.json(), r.headers.get("idempotent-replayed"))

    with live_server(api.app) as base:
        threads = [threading.Thread(target=fire, args=(i, base)) for i in range(twins)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert all(a is not None for a in answers), answers
    assert {a[0] for a in answers} == {201}, answers
    assert all(a[1] == answers[0][1] for a in answers), answers
    assert sorted(a[2] or "" for a in answers) == [""] + ["true"] * (twins - 1)
    assert api.count("member_credits", "membership_id = :m", m=membership) == 1
    assert api.count("ledger_transactions", "kind = 'top-up'") == 1
    assert api.count("idempotency_keys", "key = 'double-click'") == 1
    balance = api.get(f"/v1/memberships/{membership}", alice).json()["balance"]
    assert balance == {"fen": 1234, "currency": "CNY"}
