"""The API's conventions (issue 3, "Conventions", "Bad input", "Audit log"): problem+json errors,
422 only for malformed payloads, named business refusals, integer-fen money with a currency,
time-zoned timestamps, cursor pagination with filters, and an audit log of who did what."""

from __future__ import annotations

import base64
import itertools
import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from apikit import AFTER_LOCK, PLAN, ROUND_DAY, Api, User, World, problem

from helpers import healthy, id_number, join_one
from huzhu.domain.plan_fields import local_date
from huzhu.plans.loader import TEMPLATE_IDS
from huzhu.services.members import successor
from huzhu.storage.uow import UnitOfWork

HUGE = "99999999999999999999"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


# --- errors ---------------------------------------------------------------------------------


def test_every_error_is_a_problem_document(world: World) -> None:
    api = world.api
    b = world.b
    cases = [
        (api.post("/v1/memberships", b, json={"plan_id": PLAN, "health_answers": {}}), 400),
        (api.get("/v1/me"), 401),
        (api.get("/v1/audit", b), 403),
        (api.get(f"/v1/memberships/{world.m_a}", b), 404),
        (api.get("/v1/no-such-thing", b), 404),
        (api.client.delete("/v1/plans"), 405),
        (api.join(b, PLAN), 409),
        (api.post("/v1/claims", b, content=b"x" * (64 * 1024 + 1)), 413),
        (api.post("/v1/claims", b, content=b"{}", headers={"Content-Type": "text/plain"}), 415),
        (api.post("/v1/claims", b, json={"membership_id": "one"}), 422),
    ]
    for response, status in cases:
        body = problem(response, status)
        assert body["title"] and body["detail"], body
        assert "field" in body and isinstance(body["violations"], list)


MALFORMED: list[tuple[str, str, Any]] = [
    # (what, path, body); {m} is the caller's membership
    ("unknown field", "/v1/memberships/{m}/top-ups", {"amount_fen": 100, "note": "hi"}),
    ("wrong type", "/v1/memberships/{m}/top-ups", {"amount_fen": [100]}),
    ("fraction", "/v1/memberships/{m}/top-ups", {"amount_fen": 1.5}),
    ("huge number", "/v1/memberships/{m}/top-ups", {"amount_fen": 10**30}),
    ("negative amount", "/v1/memberships/{m}/top-ups", {"amount_fen": -100}),
    ("zero amount", "/v1/memberships/{m}/top-ups", {"amount_fen": 0}),
    ("missing field", "/v1/memberships/{m}/top-ups", {}),
    ("not an object", "/v1/memberships/{m}/top-ups", [1, 2]),
    ("answers wrong type", "/v1/memberships", {"plan_id": PLAN, "health_answers": "yes"}),
    ("huge dependant", "/v1/memberships", {"plan_id": PLAN, "health_answers": {}, "dependant_id": 10**30}),  # noqa: E501
    ("malformed date", "/v1/claims", {"membership_id": 1, "condition_code": "AC-01", "diagnosis_date": "2026-02-30", "hospital": "x"}),  # noqa: E501
    ("not a date", "/v1/claims", {"membership_id": 1, "condition_code": "AC-01", "diagnosis_date": "yesterday", "hospital": "x"}),  # noqa: E501
    ("huge membership id", "/v1/claims", {"membership_id": 10**30, "condition_code": "AC-01", "diagnosis_date": "2026-03-01", "hospital": "x"}),  # noqa: E501
]  # fmt: skip


def test_422_is_for_malformed_payloads(api: Api) -> None:
    alice = api.member("alice", plan="qingsong-huzhu")
    before = {t: api.count(t) for t in ("memberships", "claims", "member_credits")}
    for what, path, body in MALFORMED:
        url = path.format(m=alice.memberships["qingsong-huzhu"])
        r = api.post(url, alice, json=body, key=f"k-{what}")
        found = problem(r, 422, "malformed-request")
        assert found["violations"], what
        assert all(v["code"] == "malformed" for v in found["violations"]), what
        assert found["field"], (what, found)
    assert {t: api.count(t) for t in before} == before


def test_422_for_a_body_that_is_not_json(api: Api) -> None:
    alice = api.member("alice")
    for raw in (b"{not json", b"", b"null"):
        r = api.post("/v1/claims", alice, content=raw, headers={"Content-Type": "application/json"})
        problem(r, 422, "malformed-request")
    r = api.put("/v1/accounts/1/roles", api.account("op", "operator"), json={"roles": ["god"]})
    problem(r, 422, "malformed-request")


def test_business_refusals_are_not_422(api: Api) -> None:
    old = api.member("old", plan=None, birth=date(1950, 1, 1), name="钱老")
    answers = {"no-current-critical-illness": True}  # fails one question, skips the other
    r = api.join(old, PLAN, health_answers=answers)
    body = problem(r, 409, "age-out-of-range")
    assert body["field"] == "birth_date"
    codes = [v["code"] for v in body["violations"]]
    assert codes == [
        "age-out-of-range",
        "health-declaration-failed",
        "health-declaration-incomplete",
    ]
    assert all(v["message"] and v["field"] for v in body["violations"])
    assert api.count("memberships") == 0

    alice = api.account("alice")
    bad = id_number(7, date(1990, 5, 17))
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")
    for response in (
        api.put("/v1/me/person", alice, json={"id_number": bad, "name": "张伟"}),
        api.join(alice, PLAN, person={"id_number": bad, "name": "张伟"}),
        api.post("/v1/me/dependants", old, json={"id_number": bad, "name": "张伟"}),
    ):
        refusal = problem(response, 400, "id-number-check-digit")
        assert refusal["field"] == "id_number"
    assert api.count("people") == 1

    member = api.member("member")
    problem(api.join(member, PLAN), 409, "already-member")
    tomorrow = api.claim_body(member.memberships[PLAN], diagnosis_date="2026-03-03")
    problem(api.post("/v1/claims", member, json=tomorrow), 400)
    operator = api.account("operator", "operator")
    r = api.post(
        f"/v1/plans/{PLAN}/rounds", operator, json={"announce_date": "2026-03-08"}, key="x"
    )
    problem(r, 400, "not-a-round-date")


def test_oversized_and_non_json_bodies_are_refused(api: Api) -> None:
    alice = api.member("alice", plan="qingsong-huzhu")
    url = f"/v1/memberships/{alice.memberships['qingsong-huzhu']}/top-ups"
    auth = {**alice.auth, "Idempotency-Key": "k", "Content-Type": "application/json"}
    big = b'{"amount_fen": 100, "pad": "' + b"x" * (64 * 1024) + b'"}'
    problem(api.client.post(url, content=big, headers=auth), 413, "body-too-large")
    lying = {**auth, "Content-Length": "not-a-number"}
    problem(api.client.post(url, content=b'{"amount_fen": 100}', headers=lying), 413)
    for media in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        r = api.client.post(
            url, content=b'{"amount_fen": 100}', headers={**auth, "Content-Type": media}
        )
        problem(r, 415, "unsupported-media-type")
    utf8 = {**auth, "Content-Type": "application/json; charset=utf-8"}
    ok = api.client.post(url, content=b'{"amount_fen": 100}', headers=utf8)
    assert ok.status_code == 201, ok.text
    assert api.count("member_credits") == 1


def test_an_oversized_chunked_body_is_413(api: Api) -> None:
    """Without a Content-Length the limit is counted as the body streams in. (Found answering
    400 'There was an error parsing the body' while the guard raised from inside receive().)"""
    alice = api.member("alice", plan="qingsong-huzhu")
    url = f"/v1/memberships/{alice.memberships['qingsong-huzhu']}/top-ups"
    auth = {**alice.auth, "Idempotency-Key": "k", "Content-Type": "application/json"}
    big = b'{"amount_fen": 100, "pad": "' + b"x" * (64 * 1024) + b'"}'

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield big[: 32 * 1024]
        yield big[32 * 1024 :]

    r = api.client.post(url, content=chunks(), headers=auth)
    assert r.status_code < 500 and api.count("member_credits") == 0
    problem(r, 413, "body-too-large")


def test_malformed_ids_are_422_and_huge_ids_are_4xx(world: World) -> None:
    api = world.api
    op, rv, b = world.operator, world.reviewer, world.b
    for path in ("/v1/memberships/abc", "/v1/claims/1.5", "/v1/rounds/one", "/v1/memberships/1e3"):
        problem(api.get(path, op), 422, "malformed-request")
    huge = [
        ("GET", f"/v1/memberships/{HUGE}", op, None),
        ("GET", f"/v1/memberships/{HUGE}/statement", b, None),
        ("POST", f"/v1/memberships/{HUGE}/leave", b, None),
        ("POST", f"/v1/memberships/{HUGE}/top-ups", b, {"amount_fen": 1}),
        ("GET", f"/v1/claims/{HUGE}", rv, None),
        ("POST", f"/v1/claims/{HUGE}/approve", rv, None),
        ("POST", f"/v1/claims/{HUGE}/reject", rv, {"reason_code": "x", "explanation": "y"}),
        ("GET", f"/v1/rounds/{HUGE}", None, None),
        ("GET", f"/v1/rounds/{HUGE}/my-charges", b, None),
        ("GET", f"/v1/plans/{PLAN}/versions/{HUGE}", None, None),
        ("PUT", f"/v1/accounts/{HUGE}/roles", op, {"roles": ["member"]}),
        ("GET", f"/v1/webhook-events?host_app_id={HUGE}", op, None),
        ("GET", f"/v1/audit-log?actor_account_id={HUGE}", op, None),
        ("GET", f"/v1/memberships/-{HUGE}", op, None),
    ]
    failures = []
    for method, path, user, body in huge:
        r = api.call(method, path, user, json=body, key="k" if body else None)
        if not 400 <= r.status_code < 500 or "problem+json" not in r.headers["content-type"]:
            failures.append(f"{method} {path}: {r.status_code}")
    assert failures == []


# --- money and time -------------------------------------------------------------------------


def _walk(doc: Any, key: str = "", skip: str = "") -> Iterator[tuple[str, Any]]:
    yield key, doc
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k != skip:
                yield from _walk(v, k, skip)
    elif isinstance(doc, list):
        for v in doc:
            yield from _walk(v, key, skip)


MONEY_KEYS = {"balance", "amount", "payout", "payouts", "fee", "share", "charged", "total_paid",
              "collected", "backstop", "surplus", "carry_in", "max_payout"}  # fmt: skip
TIME_KEYS = {"joined_at", "left_at", "created_at", "expires_at", "submitted_at", "decided_at",
             "lock_at", "posted_at", "at", "published_at", "delivered_at", "failed_at"}  # fmt: skip


def test_money_is_integer_fen_with_a_currency_and_times_carry_a_zone(world: World) -> None:
    api = world.api
    a, op = world.a, world.operator
    top = api.post(f"/v1/memberships/{world.m_a}/top-ups", a, json={"amount_fen": 250}, key="t")
    assert top.status_code == 201
    docs = [
        top.json(),
        api.join(a, "meituan-huzhu").json(),
        api.get("/v1/memberships", a).json(),
        api.get(f"/v1/memberships/{world.m_a}/statement", a).json(),
        api.get("/v1/claims", a).json(),
        api.get(f"/v1/rounds/{world.round_id}").json(),
        api.get(f"/v1/rounds/{world.round_id}/my-charges", a).json(),
        api.get(f"/v1/plans/{PLAN}").json(),
        api.get("/v1/plans").json(),
        api.get(f"/v1/ledger/accounts?plan_id={PLAN}", op).json(),
        api.get(f"/v1/ledger/transactions?plan_id={PLAN}", op).json(),
        api.get("/v1/audit-log", op).json(),
        api.get("/v1/accounts", op).json(),
        api.get("/v1/me", a).json(),
        api.get(f"/v1/claims/{world.claim_c}", world.reviewer).json(),
    ]
    money = stamps = 0
    for doc in docs:
        for key, value in _walk(doc, skip="rules"):  # rules: see the test below
            if isinstance(value, dict) and "fen" in value:
                assert value.keys() == {"fen", "currency"} and value["currency"] == "CNY", value
                assert isinstance(value["fen"], int) and not isinstance(value["fen"], bool)
                money += 1
            elif key in MONEY_KEYS and not isinstance(value, list):
                assert value is None or isinstance(value, dict), (key, value)
            if key in TIME_KEYS and value is not None and not isinstance(value, list):
                assert isinstance(value, str) and TIMESTAMP.match(value), (key, value)
                stamps += 1
    assert money > 40 and stamps > 30, (money, stamps)


def test_plan_rules_carry_money_as_fen_too(api: Api) -> None:
    rules = api.get(f"/v1/plans/{PLAN}").json()["rules"]
    assert rules["payout"]["maximum"] == {"fen": 30_000_000, "currency": "CNY"}
    assert rules["caps"]["per_case_per_member"] == {"fen": 10, "currency": "CNY"}


# --- lists ----------------------------------------------------------------------------------


def pages(api: Api, url: str, user: User | None, limit: int) -> list[list[Any]]:
    out: list[list[Any]] = []
    cursor = None
    sep = "&" if "?" in url else "?"
    while True:
        query = f"{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        r = api.get(url + query, user)
        assert r.status_code == 200, r.text
        out.append(r.json()["items"])
        cursor = r.json()["next_cursor"]
        assert len(out) < 50, "the cursor never ends"
        if cursor is None:
            return out


def test_lists_page_with_a_cursor(api: Api) -> None:
    joined_at = api.clock()
    ids = [join_one(api.engine, PLAN, joined_at, n=n).membership_id for n in range(1, 6)]
    join_one(api.engine, "meituan-huzhu", joined_at, n=9)
    operator = api.account("operator", "operator")
    got = pages(api, f"/v1/memberships?plan_id={PLAN}", operator, 2)
    assert [len(p) for p in got] == [2, 2, 1]
    seen = [m["id"] for p in got for m in p]
    assert seen == sorted(ids)
    # the same walk through every plan, and through the public plan list
    assert len([m for p in pages(api, "/v1/memberships", operator, 2) for m in p]) == 6
    plans = [p["id"] for page in pages(api, "/v1/plans", None, 3) for p in page]
    assert len(plans) == len(set(plans)) == len(TEMPLATE_IDS)
    # a member sees only their own, even when paging
    alice = api.member("alice", n=50)
    assert [m["id"] for p in pages(api, "/v1/memberships", alice, 1) for m in p] == [
        alice.memberships[PLAN]
    ]


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


BAD_CURSORS = ["garbage", "%21%21%21", _cursor("id:-5"), _cursor("xx:5"), _cursor("id:abc")]


def test_a_cursor_the_api_did_not_issue_is_refused(api: Api) -> None:
    operator = api.account("operator", "operator")
    for cursor, url in itertools.product(
        BAD_CURSORS,
        (
            "/v1/memberships",
            "/v1/claims",
            "/v1/plans",
            f"/v1/plans/{PLAN}/rounds",
            "/v1/audit-log",
            "/v1/accounts",
            "/v1/webhook-events",
            f"/v1/ledger/transactions?plan_id={PLAN}",
        ),
    ):
        sep = "&" if "?" in url else "?"
        body = problem(api.get(f"{url}{sep}cursor={cursor}", operator), 400, "invalid-cursor")
        assert body["field"] == "cursor"
    problem(api.get("/v1/plans?limit=0"), 422)
    problem(api.get("/v1/plans?limit=100000"), 422)


# --- the audit log --------------------------------------------------------------------------


def test_the_audit_log_records_who_did_what(world: World) -> None:
    api = world.api
    w = world
    assert api.post(f"/v1/memberships/{w.m_b}/leave", w.b).status_code == 200
    roles_body = {"roles": ["member", "auditor"]}
    promoted = api.put(f"/v1/accounts/{w.b.account_id}/roles", w.operator, json=roles_body)
    assert promoted.status_code == 200
    # refused attempts leave no trace
    api.post(f"/v1/claims/{w.claim_a}/approve", w.a)
    api.post(f"/v1/memberships/{w.m_a}/leave", w.c)

    def log(**filters: Any) -> list[dict[str, Any]]:
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        r = api.get(f"/v1/audit-log?limit=200&{query}", w.auditor)
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    joined = log(action="membership.joined")
    assert {e["action"] for e in joined} == {"membership.joined"}
    assert {(e["actor_account_id"], e["subject"]) for e in joined} >= {
        (w.a.account_id, f"membership:{w.m_a}"),
        (w.a.account_id, f"membership:{w.d_membership}"),
        (w.b.account_id, f"membership:{w.m_b}"),
    }
    assert len(joined) == 6  # A, B, C, R and the two dependants
    (left,) = log(action="membership.left")
    assert (left["actor_account_id"], left["subject"]) == (w.b.account_id, f"membership:{w.m_b}")
    assert left["details"]["reason"] == "voluntary"
    (approved,) = log(action="claim.approved")
    assert approved["actor_account_id"] == w.reviewer.account_id
    assert approved["subject"] == f"claim:{w.claim_c}"
    (roles,) = log(action="account.roles-changed")
    assert roles["actor_account_id"] == w.operator.account_id
    assert roles["subject"] == f"account:{w.b.account_id}"
    assert roles["details"] == {"before": ["member"], "after": ["auditor", "member"]}
    (ran,) = log(action="round.run")
    assert ran["actor_account_id"] == w.operator.account_id
    assert ran["subject"] == f"round:{w.round_id}"
    assert ran["details"]["announce_date"] == ROUND_DAY.isoformat()
    assert ran["at"].startswith(AFTER_LOCK.date().isoformat())
    assert TIMESTAMP.match(ran["at"])
    # filters combine; every entry of an actor is theirs
    mine = log(actor_account_id=w.b.account_id)
    assert mine and {e["actor_account_id"] for e in mine} == {w.b.account_id}
    assert {"person.linked", "membership.joined", "claim.submitted", "membership.left"} <= {
        e["action"] for e in mine
    }
    assert log(subject=f"claim:{w.claim_c}", action="claim.approved") == [approved]
    assert log(action="no.such-action") == []
    # ids and times only grow
    everything = log()
    assert [e["id"] for e in everything] == sorted(e["id"] for e in everything)
    assert [e["at"] for e in everything] == sorted(e["at"] for e in everything)


def test_health_answers_do_not_leak_into_the_audit_log(api: Api) -> None:
    alice = api.member("alice")
    operator = api.account("operator", "operator")
    entries = api.get("/v1/audit-log", operator).json()["items"]
    text = str(entries)
    assert alice.id_number not in text and "张伟" not in text
    assert all(k not in text for k in healthy(api.engine, PLAN))


def test_covered_conditions_say_their_source_and_the_childhood_age(api: Api) -> None:
    # Issue 9: each condition cites its source; childhood illnesses show the plan's age limit.
    found = {c["code"]: c for c in api.get("/v1/plans/xiaomi-huzhu/conditions").json()}
    assert found["CI-01"]["source"] == "iac-2020"
    assert found["CI-01"]["claimable_under_age"] is None
    assert found["CH-01"]["claimable_under_age"] == 18
    assert "CI-28" not in found  # the 2020 standard's mild heart attack is not covered


def test_an_aged_out_membership_shows_its_successor_offer(api: Api) -> None:
    # Issue 9: the member sees the senior plan offered (not joined) on their membership.
    today = local_date(api.clock())
    old = api.member("old", birth=today.replace(year=today.year - 60) + timedelta(days=1))
    membership = old.memberships[PLAN]
    assert api.get(f"/v1/memberships/{membership}", old).json()["successor_offer"] is None
    api.clock.now += timedelta(days=1)
    with UnitOfWork(api.engine) as uow:
        successor.age_out(uow, PLAN, local_date(api.clock()), api.clock())
        uow.commit()
    shown = api.get(f"/v1/memberships/{membership}", old).json()
    assert shown["status"] == "left" and shown["leave_reason"] == "age-out"
    offer = shown["successor_offer"]
    assert (offer["plan_id"], offer["state"], offer["membership_id"]) == (
        "xiang-hu-bao-senior",
        "offered",
        None,
    )
