"""Strict parsing (issue 10, section 4): an amount or an id is a JSON integer or, in a URL, digits
only; "1", true, 1.0 and " 1" are refused (422), never converted."""

from __future__ import annotations

from typing import Any

import pytest
from apikit import PLAN, Api, problem

from helpers import healthy

PREPAID = "qingsong-huzhu"


@pytest.mark.parametrize("amount", ["1000", True, 1000.0, "1e3"])
def test_an_amount_is_a_json_integer(api: Api, amount: Any) -> None:
    alice = api.member("alice", plan=PREPAID)
    path = f"/v1/memberships/{alice.memberships[PREPAID]}/top-ups"
    body = problem(api.post(path, alice, json={"amount_fen": amount}, key="k"), 422)
    assert body["violations"], body
    assert api.count("member_credits") == 0
    assert api.post(path, alice, json={"amount_fen": 1000}, key="ok").status_code == 201


def test_an_id_in_a_body_is_a_json_integer(api: Api) -> None:
    alice = api.member("alice", plan=None)
    dependant = api.dependant(alice)
    answers = healthy(api.engine, PLAN)
    for spelled in (str(dependant), True, float(dependant)):
        body = {"plan_id": PLAN, "health_answers": answers, "dependant_id": spelled}
        problem(api.post("/v1/memberships", alice, json=body, key=f"k{spelled}"), 422)
    assert api.count("memberships") == 0


@pytest.mark.parametrize("spelled", ["%201", "+{}", "0{}", "{}%20", "{}.0", "1_0"])
def test_an_id_in_a_url_is_digits_only(api: Api, spelled: str) -> None:
    alice = api.member("alice")
    membership = alice.memberships[PLAN]
    path = "/v1/memberships/" + spelled.format(membership)
    problem(api.get(path, alice), 422)
    assert api.get(f"/v1/memberships/{membership}", alice).status_code == 200
    auditor = api.account("auditor", "auditor")
    problem(api.get("/v1/audit-log?actor_account_id=%201", auditor), 422)
    assert api.get("/v1/audit-log?actor_account_id=1", auditor).status_code == 200
