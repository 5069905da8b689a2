"""Issue 10 §4: giving an ID number must not tell a signed-in user whether it is on file.

The answers to `PUT /v1/me/person` and `POST /v1/me/dependants` are compared for a number on file
and a new one; then the states behind them: a number on file is held as an identity check, nothing
is linked, and the operator confirms or refuses it (service and CLI), the account told in its inbox.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from apikit import NOW, PLAN, Api, problem

from cli.clikit import said
from helpers import id_number, join_one
from huzhu.services.members import identity
from huzhu.storage.uow import UnitOfWork

VOLATILE = {"date", "x-request-id", "content-length", "server-timing", "ratelimit", "x-ratelimit"}


def _shape(r: httpx.Response, sent: dict[str, Any]) -> tuple[Any, ...]:
    """Everything in an answer that does not merely echo what was sent."""
    body = r.json() if r.headers.get("content-type", "").endswith("json") else r.text
    if isinstance(body, dict):
        body = {k: ("<echo>" if v == sent.get(k) else v) for k, v in body.items()}
        body.pop("birth_date", None), body.pop("sex", None)  # read from the number sent
    headers = {k: v for k, v in r.headers.items() if k.lower() not in VOLATILE}
    return r.status_code, body, sorted(headers.items())


def test_person_answers_alike_for_a_number_on_file_and_a_new_one(api: Api) -> None:
    owner = api.member("owner", plan=None)
    on_file = {"id_number": owner.id_number, "name": "李明华"}
    new = api.person_body(name="李明华")
    first = api.put("/v1/me/person", api.account("eve"), json=on_file)
    second = api.put("/v1/me/person", api.account("zoe"), json=new)
    assert _shape(first, on_file) == _shape(second, new), (first.text, second.text)
    assert first.status_code == 202 and first.json()["state"] == "received"
    assert first.json()["id_number"] == owner.id_number and "id" not in first.json()


def test_dependant_answers_alike_for_a_number_on_file_and_a_new_one(api: Api) -> None:
    owner = api.member("owner", plan=None)
    guardian = api.member("mama", plan=None)
    on_file = {"id_number": owner.id_number, "name": "李明华"}
    new = api.person_body(name="李明华", birth=date(2016, 6, 1))
    first = api.post("/v1/me/dependants", guardian, json=on_file)
    second = api.post("/v1/me/dependants", guardian, json=new)
    assert _shape(first, on_file) == _shape(second, new), (first.text, second.text)
    assert first.status_code == 202


def _checks(api: Api) -> list[Any]:
    return api.rows(
        "SELECT id, account_id, kind, person_id, state FROM identity_checks ORDER BY id"
    )


def test_a_number_on_file_is_held_and_never_linked(api: Api) -> None:
    owner = api.member("owner")
    eve = api.account("eve")
    r = api.put("/v1/me/person", eve, json={"id_number": owner.id_number, "name": "假名"})
    assert r.status_code == 202
    ((_, account_id, kind, person_id, state),) = _checks(api)
    assert (account_id, kind, person_id, state) == (
        eve.account_id,
        "self",
        owner.person_id,
        "pending",
    )
    problem(api.get("/v1/me/person", eve), 404, "identity-pending")
    # held counts as given: no second identity, no join with an inline identity either
    problem(api.put("/v1/me/person", eve, json=api.person_body()), 409, "person-already-set")
    problem(api.join(eve, "xiaomi-huzhu", person=api.person_body()), 409)
    problem(api.join(eve, "xiaomi-huzhu"), 400)
    assert api.count("memberships", "person_id = :p", p=owner.person_id) == 1
    assert api.count("accounts", "person_id = :p", p=owner.person_id) == 1
    # the person on file is told, without the caller's details
    told = api.rows("SELECT person_id, params FROM inbox_messages WHERE kind = 'identity.given'")
    assert [t.person_id for t in told] == [owner.person_id] and "假名" not in str(told[0].params)
    audit = api.rows("SELECT details FROM audit_log WHERE action = 'identity.held'")
    assert len(audit) == 1 and owner.id_number not in str(audit[0].details)
    # one check per dependant claim, however often it is sent again
    mama = api.member("mama", plan=None)
    body = {"id_number": owner.id_number, "name": "李明华"}
    for _ in range(3):
        assert api.post("/v1/me/dependants", mama, json=body).status_code == 202
    assert [c.kind for c in _checks(api)] == ["self", "dependant"]
    assert api.get("/v1/me/dependants", mama).json() == []


def test_the_operator_confirms_an_imported_member_for_its_rightful_account(api: Api) -> None:
    imported = join_one(api.engine, PLAN, NOW, n=77, birth=date(1980, 1, 1), name="孙大圣")
    rightful = api.account("sun")
    body = {"id_number": id_number(77, date(1980, 1, 1)), "name": "孙大圣"}
    assert api.put("/v1/me/person", rightful, json=body).status_code == 202
    ((check_id, *_),) = _checks(api)
    with UnitOfWork(api.engine) as uow:
        done = identity.resolve(uow, check_id, True, None, NOW)
        uow.commit()
    assert done.state == "confirmed"
    me = api.get("/v1/me/person", rightful).json()
    assert me["id_number"] == body["id_number"]
    assert api.get(f"/v1/memberships/{imported.membership_id}", rightful).status_code == 200
    told = api.rows("SELECT person_id FROM inbox_messages WHERE kind = 'identity.confirmed'")
    assert [t.person_id for t in told] == [me["id"]]
    with UnitOfWork(api.engine) as uow:
        problem_code = None
        try:
            identity.resolve(uow, check_id, False, None, NOW)
        except Exception as e:  # decided once only
            problem_code = getattr(e, "code", None)
    assert problem_code == "check-state"


def test_a_conflict_is_refused_and_an_owned_identity_is_never_confirmed(api: Api) -> None:
    owner = api.member("owner")
    eve = api.account("eve")
    api.put("/v1/me/person", eve, json={"id_number": owner.id_number, "name": "李明华"})
    ((check_id, *_),) = _checks(api)
    with UnitOfWork(api.engine) as uow:
        try:
            identity.resolve(uow, check_id, True, None, NOW)
            raise AssertionError("confirmed an identity that has an account")
        except Exception as e:
            assert getattr(e, "code", None) == "person-has-account"
    with UnitOfWork(api.engine) as uow:
        assert identity.resolve(uow, check_id, False, None, NOW).state == "refused"
        uow.commit()
    problem(api.get("/v1/me/person", eve), 404, "no-person")
    assert api.count("accounts", "person_id = :p", p=owner.person_id) == 1
    # refused: the account may give its own identity now
    assert api.put("/v1/me/person", eve, json=api.person_body()).status_code == 202
    assert api.get("/v1/me/person", eve).status_code == 200


def test_the_cli_lists_and_decides_the_queue(api: Api, database_url: str) -> None:
    owner = api.member("owner", plan=None, name="王建国")
    mama = api.member("mama", plan=None)
    api.post("/v1/me/dependants", mama, json={"id_number": owner.id_number, "name": "王建国"})
    ((check_id, *_),) = _checks(api)
    words = " ".join(said(database_url, NOW.isoformat(), "members", "identity-checks").split("│"))
    words = " ".join(words.split())
    assert f"{check_id} dependant {mama.account_id} 王建国" in words and "1 pending" in words
    assert owner.id_number not in words  # masked
    words = said(
        database_url, NOW.isoformat(), "members", "resolve-identity", str(check_id), "--confirm"
    )
    assert f"identity check {check_id} confirmed" in words
    assert [d["id"] for d in api.get("/v1/me/dependants", mama).json()] == [owner.person_id]
    again = ("members", "resolve-identity", str(check_id), "--refuse")
    assert "already confirmed" in said(database_url, NOW.isoformat(), *again, code=2)


def test_operators_read_and_decide_the_queue_through_the_api(api: Api) -> None:
    owner = api.member("owner", plan=None, name="王建国")
    eve = api.account("eve")
    api.put("/v1/me/person", eve, json={"id_number": owner.id_number, "name": "王建国"})
    reviewer, operator = api.account("rev", "reviewer"), api.account("op", "operator")
    (queued,) = api.get("/v1/identity-checks", reviewer).json()
    assert (queued["account_id"], queued["kind"], queued["person_id"]) == (
        eve.account_id, "self", owner.person_id,
    )  # fmt: skip
    assert owner.id_number not in str(queued) and queued["person_id_number"].startswith("1")
    problem(api.post(f"/v1/identity-checks/{queued['id']}/decision", reviewer,
                     json={"confirm": False}), 403, "role-required")  # fmt: skip
    url = f"/v1/identity-checks/{queued['id']}/decision"
    done = api.post(url, operator, json={"confirm": False})
    assert done.status_code == 200 and done.json()["state"] == "refused", done.text
    problem(api.post(url, operator, json={"confirm": True}), 409, "check-state")
    assert api.get("/v1/identity-checks", reviewer).json() == []
    decided = api.rows("SELECT actor_account_id FROM audit_log WHERE action = 'identity.refused'")
    assert [d.actor_account_id for d in decided] == [operator.account_id]


def test_a_join_quoting_a_number_on_file_holds_it_and_costs_the_account(api: Api) -> None:
    owner = api.member("owner")
    eve = api.account("eve")
    on_file = {"id_number": owner.id_number, "name": "李明华"}
    problem(api.join(eve, "xiaomi-huzhu", person=on_file), 409, "identity-pending")
    assert [(c.kind, c.person_id, c.state) for c in _checks(api)] == [
        ("self", owner.person_id, "pending")
    ]
    # the account has given its identity: probing with another number is refused outright
    problem(api.join(eve, "xiaomi-huzhu", person=api.person_body()), 409, "person-already-set")
    assert api.count("memberships") == 1 and api.count("identity_checks") == 1
