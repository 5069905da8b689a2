"""Who may see and do what, for every resource of the API (issue 3, "Access control").

A member can never read or change another member's data: what is not theirs answers 404 exactly
like what does not exist, so guessing ids reveals nothing. Roles gate the rest with 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from apikit import (
    AFTER_LOCK,
    C_PHONE,
    FAST,
    PLAN,
    ROUND_DAY,
    Api,
    User,
    World,
    problem,
)
from fastapi import FastAPI
from sqlalchemy import create_engine

from helpers import id_number, join_one
from huzhu.api.app import create_app

PUBLIC = "public"
SIGNED_IN = "signed-in"
GATEWAY = "gateway-signed"  # no sign-in: the payment gateway's signature on the body
MEMBERSHIP_ROUTES = [
    ("GET", "/v1/memberships/{id}", None),
    ("POST", "/v1/memberships/{id}/leave", None),
    ("POST", "/v1/memberships/{id}/top-ups", {"amount_fen": 1000}),
    ("POST", "/v1/memberships/{id}/successor-offer", {"health_answers": {}}),
    ("GET", "/v1/memberships/{id}/statement", None),
    ("GET", "/v1/memberships/{id}/statement?moves_limit=1&moves_cursor=aWQ6MQ", None),
    ("GET", "/v1/memberships/{id}/rounds/1/proof", None),
]


# --- the table: every route, who may call it, and a request to make ---------------------------


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # the route's template, exactly as the app declares it
    access: str | frozenset[str]  # PUBLIC, SIGNED_IN, GATEWAY, or the roles that may call it
    body: Callable[[World], Any] | None = None
    query: str = ""
    key: bool = False  # the request needs an Idempotency-Key


def roles(*names: str) -> frozenset[str]:
    return frozenset(names)


def _claim(w: World) -> dict[str, Any]:
    return w.api.claim_body(w.m_b)


def _new_person(w: World) -> dict[str, Any]:
    return w.api.person_body(birth=date(2016, 2, 3), name="王小明")


ROUTES: list[Route] = [
    # documentation
    Route("GET", "/openapi.json", PUBLIC),
    Route("GET", "/docs", PUBLIC),
    Route("GET", "/docs/oauth2-redirect", PUBLIC),
    Route("GET", "/redoc", PUBLIC),
    # operations: health and metrics (no personal data; /metrics may want HUZHU_METRICS_TOKEN)
    Route("GET", "/livez", PUBLIC),
    Route("GET", "/readyz", PUBLIC),
    Route("GET", "/metrics", PUBLIC),
    # signing in (bodies that are refused before any password hashing)
    Route("POST", "/v1/accounts", PUBLIC, lambda w: {"username": "newbie", "password": "short"}),
    Route("POST", "/v1/auth/token", PUBLIC, lambda w: {"username": "x", "password": ""}),
    Route("POST", "/v1/auth/session", PUBLIC, lambda w: {"username": "x", "password": ""}),
    Route("POST", "/v1/auth/host-assertion", PUBLIC, lambda w: {"app": "", "assertion": ""}),
    # plans and rounds are public
    Route("GET", "/v1/plans", PUBLIC),
    Route("GET", "/v1/plans/{plan_id}", PUBLIC),
    Route("GET", "/v1/plans/{plan_id}/versions/{version}", PUBLIC),
    Route("GET", "/v1/plans/{plan_id}/conditions", PUBLIC),
    Route("GET", "/v1/plans/{plan_id}/rounds", PUBLIC),
    Route("GET", "/v1/rounds/{round_id}", PUBLIC),
    # the caller's own things
    Route("GET", "/v1/me", SIGNED_IN),
    Route("GET", "/v1/me/person", SIGNED_IN),
    Route("PUT", "/v1/me/person", SIGNED_IN, lambda w: {"id_number": "110105199005170010", "name": "某"}),  # noqa: E501
    Route("GET", "/v1/me/dependants", SIGNED_IN),
    Route("POST", "/v1/me/dependants", SIGNED_IN, _new_person),
    Route("POST", "/v1/memberships", SIGNED_IN, lambda w: {"plan_id": "no-such-plan", "health_answers": {}}, key=True),  # noqa: E501
    Route("GET", "/v1/memberships", SIGNED_IN),
    Route("GET", "/v1/memberships/{membership_id}", SIGNED_IN),
    Route("POST", "/v1/memberships/{membership_id}/top-ups", SIGNED_IN, lambda w: {"amount_fen": 500}, key=True),  # noqa: E501
    Route("POST", "/v1/memberships/{membership_id}/successor-offer", SIGNED_IN, lambda w: {"health_answers": {}}, key=True),  # noqa: E501
    Route("GET", "/v1/memberships/{membership_id}/statement", SIGNED_IN),
    Route("GET", "/v1/memberships/{membership_id}/rounds/{round_id}/proof", SIGNED_IN),
    Route("POST", "/v1/claims", SIGNED_IN, _claim),
    Route("GET", "/v1/claims", SIGNED_IN),
    Route("GET", "/v1/claims/{claim_id}", SIGNED_IN),
    Route("GET", "/v1/rounds/{round_id}/my-charges", SIGNED_IN),
    Route("POST", "/v1/memberships/{membership_id}/leave", SIGNED_IN),
    # reviewers decide claims
    Route("POST", "/v1/claims/{claim_id}/approve", roles("reviewer")),
    Route("POST", "/v1/claims/{claim_id}/reject", roles("reviewer"), lambda w: {"reason_code": "no-evidence", "explanation": "the report is missing"}),  # noqa: E501
    # operators run rounds and administer; auditors read everything
    Route("POST", "/v1/plans/{plan_id}/rounds", roles("operator"), lambda w: {"announce_date": ROUND_DAY.isoformat()}, key=True),  # noqa: E501
    Route("GET", "/v1/ledger/accounts", roles("operator", "auditor"), query=f"?plan_id={PLAN}"),
    Route("GET", "/v1/plans/{plan_id}/forecast", roles("operator", "auditor"), query="?rounds=2&paths=2"),  # noqa: E501
    Route("GET", "/v1/ledger/transactions", roles("operator", "auditor"), query=f"?plan_id={PLAN}"),
    Route("GET", "/v1/audit", roles("operator", "auditor")),
    Route("GET", "/v1/audit-log", roles("operator", "auditor")),
    Route("GET", "/v1/accounts", roles("operator", "auditor")),
    Route("GET", "/v1/webhook-events", roles("operator", "auditor")),
    Route("PUT", "/v1/accounts/{account_id}/roles", roles("operator"), lambda w: {"roles": ["member"]}),  # noqa: E501
    Route("POST", "/v1/host-apps", roles("operator"), lambda w: {"name": "matrix-app"}),
    Route("POST", "/v1/host-apps/{host_app_id}/webhook-secret", roles("operator")),
    Route("GET", "/v1/identity-checks", roles("operator", "reviewer", "auditor")),
    Route("POST", "/v1/identity-checks/{check_id}/decision", roles("operator"), lambda w: {"confirm": False}),  # noqa: E501
    # the claims workflow: investigation, public announcement, objections, appeals and juries
    Route("GET", "/v1/announcements", PUBLIC),
    Route("POST", "/v1/claims/finalize", roles("operator", "reviewer"), lambda w: {}),
    Route("POST", "/v1/claims/{claim_id}/assign", roles("reviewer", "operator"), lambda w: {"account_id": w.reviewer.account_id}),  # noqa: E501
    Route("POST", "/v1/claims/{claim_id}/documents-request", roles("reviewer"), lambda w: {"what": "the discharge summary"}),  # noqa: E501
    Route("POST", "/v1/claims/{claim_id}/findings", roles("reviewer"), lambda w: {"text": "the hospital confirmed the admission"}),  # noqa: E501
    Route("GET", "/v1/claims/{claim_id}/workflow", SIGNED_IN),
    Route("GET", "/v1/claims/{claim_id}/flags", roles("reviewer", "operator", "auditor")),
    Route("POST", "/v1/claims/{claim_id}/evidence", SIGNED_IN),
    Route("GET", "/v1/claims/{claim_id}/evidence", SIGNED_IN),
    Route("GET", "/v1/claims/{claim_id}/evidence/{evidence_id}", SIGNED_IN),
    Route("POST", "/v1/claims/{claim_id}/announce", roles("reviewer")),
    Route("GET", "/v1/claims/{claim_id}/objections", SIGNED_IN),
    Route("POST", "/v1/claims/{claim_id}/objections", SIGNED_IN, lambda w: {"reason": "the accident happened before joining"}),  # noqa: E501
    Route("POST", "/v1/objections/{objection_id}/review", roles("reviewer"), lambda w: {"outcome": "dismiss", "explanation": "no evidence was given"}),  # noqa: E501
    Route("POST", "/v1/claims/{claim_id}/reopen", roles("reviewer"), lambda w: {"reason": "new evidence arrived"}),  # noqa: E501
    Route("POST", "/v1/claims/{claim_id}/appeal", SIGNED_IN, lambda w: {"statement": "the rejection overlooked the police report"}),  # noqa: E501
    Route("POST", "/v1/claims/{claim_id}/jury", roles("reviewer", "operator"), lambda w: {}),
    Route("GET", "/v1/juries/{jury_id}", SIGNED_IN),
    Route("POST", "/v1/juries/{jury_id}/vote", SIGNED_IN, lambda w: {"vote": "uphold"}),
    Route("POST", "/v1/juries/{jury_id}/decline", SIGNED_IN),
    Route("POST", "/v1/juries/{jury_id}/close", roles("reviewer", "operator")),
    Route("GET", "/v1/me/jury-duties", SIGNED_IN),
    Route("GET", "/v1/juror-test", SIGNED_IN),
    Route("POST", "/v1/juror-test", SIGNED_IN, lambda w: {"answers": {}}),
    Route("GET", "/v1/me/inbox", SIGNED_IN),
    Route("POST", "/v1/me/inbox/{message_id}/read", SIGNED_IN),
    Route("PUT", "/v1/me/inbox/language", SIGNED_IN, lambda w: {"locale": "en"}),
    Route("POST", "/v1/claims/{claim_id}/withdraw", SIGNED_IN),
    # payment gateways call back with a signed body
    Route("POST", "/v1/gateway/{name}/callbacks", GATEWAY, lambda w: {"event_id": "e1", "type": "payout.paid", "ref": "p1", "amount": 1}),  # noqa: E501
    # a plan's lifecycle (issue 9): after the rest, as closing the plan stops its joins
    Route("POST", "/v1/plans/{plan_id}/operator-paid", roles("operator"), lambda w: {"first_date": "2026-04-07", "last_date": "2026-04-07"}, key=True),  # noqa: E501
    Route("POST", "/v1/plans/{plan_id}/close", roles("operator"), lambda w: {"notice_date": "2026-03-10", "end_date": "2026-03-31"}, key=True),  # noqa: E501
    # last: it ends the caller's session
    Route("POST", "/v1/auth/logout", SIGNED_IN),
]  # fmt: skip


def declared_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, whatever FastAPI's routing internals."""
    try:
        from fastapi.routing import iter_route_contexts

        entries: Any = iter_route_contexts(app.routes)
    except ImportError:  # older FastAPI: included routes are flattened into app.routes
        entries = app.routes
    found = set()
    for route in entries:
        if not getattr(route, "include_in_schema", True):
            continue  # the web pages: tests/web checks who may see them
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":  # Starlette adds HEAD to every GET
                found.add((method, route.path))
    return found


def test_every_route_has_an_authorization_case() -> None:
    """A new endpoint without a row in ROUTES fails here, so nobody forgets its access rules."""
    app = create_app(FAST, create_engine("sqlite://"))
    declared = declared_routes(app)
    table = {(r.method, r.path) for r in ROUTES}
    assert len(table) == len(ROUTES), "a route is listed twice"
    assert len(declared) >= 40, declared  # the listing itself works
    assert declared - table == set(), "routes without an authorization case in ROUTES"


def _url(route: Route, w: World) -> str:
    params = {
        "plan_id": PLAN,
        "version": 1,
        "round_id": w.round_id,
        "membership_id": w.m_b,
        "claim_id": w.claim_b,
        "account_id": w.b.account_id,
        "name": "sandbox",
        "evidence_id": 1,
        "jury_id": 1,
        "objection_id": 1,
        "message_id": 1,
        "host_app_id": 1,
        "check_id": 1,
    }
    return route.path.format(**params) + route.query


def _role_refusal(r: Any) -> bool:
    return bool(r.status_code == 403 and r.json().get("code") == "role-required")


def test_route_access_matrix(world: World) -> None:
    """Every route, called by nobody and by each role: 401, 403 role-required, or let through.

    Let through means: not refused for want of a sign-in or a role. What the caller then may see
    of a given resource (404 when it is not theirs, 403 conflict-of-interest) is tested below.
    """
    api = world.api
    callers: dict[str, User] = {
        "member": world.b,
        "reviewer": world.reviewer,
        "operator": world.operator,
        "auditor": world.auditor,
    }
    failures: list[str] = []
    served = declared_routes(api.app)
    for n, route in enumerate(ROUTES):
        if (route.method, route.path) not in served:
            continue  # a case written ahead of its route
        url = _url(route, world)

        def send(user: User | None, route: Route = route, url: str = url, n: int = n) -> Any:
            body = route.body(world) if route.body else None
            key = f"matrix-{n}-{user.username if user else 'anon'}" if route.key else None
            return api.call(route.method, url, user, json=body, key=key)

        anon = send(None)
        where = f"{route.method} {route.path}"
        if anon.status_code >= 500:
            failures.append(f"{where} anonymous: {anon.status_code}")
        if route.access == GATEWAY:
            if anon.status_code != 401:  # unsigned: refused whoever sends it
                failures.append(f"{where} accepted an unsigned callback: {anon.status_code}")
            continue
        if route.access == PUBLIC:
            if anon.status_code == 401 and anon.json().get("code") == "unauthenticated":
                failures.append(f"{where} is public but asked for a sign-in")
            continue
        if anon.status_code != 401 or anon.headers.get("www-authenticate") != "Bearer":
            failures.append(f"{where} anonymous: {anon.status_code} {dict(anon.headers)}")
        elif anon.json()["code"] != "unauthenticated":
            failures.append(f"{where} anonymous: {anon.text}")
        for role, user in callers.items():
            r = send(user)
            allowed = route.access == SIGNED_IN or role in route.access
            if r.status_code >= 500:
                failures.append(f"{where} as {role}: {r.status_code}")
            elif allowed and (r.status_code == 401 or _role_refusal(r)):
                failures.append(f"{where} as {role} refused: {r.text}")
            elif not allowed and (r.status_code != 403 or r.json()["code"] != "role-required"):
                failures.append(f"{where} as {role} not refused: {r.status_code} {r.text[:200]}")
    assert failures == []


def test_a_wrong_or_revoked_token_is_401(api: Api) -> None:
    bob = api.account("bob")
    r = api.get("/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert problem(r, 401, "bad-token")
    assert r.headers["www-authenticate"] == "Bearer"
    assert api.get("/v1/me", headers={"Authorization": "Basic Ym9iOnB3"}).status_code == 401
    assert api.get("/v1/me", bob).status_code == 200
    assert api.post("/v1/auth/logout", bob).status_code == 204
    problem(api.get("/v1/me", bob), 401, "bad-token")


# --- one member against another -------------------------------------------------------------


def _hidden_like_missing(api: Api, user: User, method: str, path: str, **kw: Any) -> None:
    r = api.call(method, path, user, **kw)
    body = problem(r, 404)
    assert body["code"] in ("unknown-membership", "unknown-claim"), body


def test_b_cannot_touch_a_membership_or_a_dependant(world: World) -> None:
    api = world.api
    guessed = world.d_membership + 1000  # an id nobody has
    before = api.get(f"/v1/memberships/{world.m_a}", world.a).json()
    for method, path, body in MEMBERSHIP_ROUTES:
        answers = {}
        for target in (world.m_a, world.d_membership, guessed):
            r = api.call(
                method, path.format(id=target), world.b, json=body, key="b-key" if body else None
            )
            answers[target] = problem(r, 404, "unknown-membership")
        # A's real membership answers exactly like one that does not exist
        for target in (world.m_a, world.d_membership):
            same = {k: v for k, v in answers[target].items() if k != "detail"}
            assert same == {k: v for k, v in answers[guessed].items() if k != "detail"}, path
    # nothing changed for A
    assert api.get(f"/v1/memberships/{world.m_a}", world.a).json() == before
    assert before["status"] != "left"
    assert api.count("member_credits") == 0
    assert api.get(f"/v1/memberships/{world.d_membership}", world.a).json()["status"] != "left"


def test_b_cannot_see_or_make_a_claims(world: World) -> None:
    api = world.api
    for claim in (world.claim_a, world.claim_d, world.claim_c, world.claim_b + 1000):
        problem(api.get(f"/v1/claims/{claim}", world.b), 404)
    for query in ("", "?state=submitted", f"?plan_id={PLAN}", "?limit=200"):
        listed = api.get(f"/v1/claims{query}", world.b)
        assert listed.status_code == 200
        assert [c["id"] for c in listed.json()["items"]] == [world.claim_b], query
    a_listed = api.get("/v1/claims", world.a).json()["items"]
    assert {c["id"] for c in a_listed} == {world.claim_a, world.claim_d}
    # nor claim on A's memberships
    before = api.count("claims")
    for membership in (world.m_a, world.d_membership):
        r = api.post("/v1/claims", world.b, json=api.claim_body(membership))
        problem(r, 404, "unknown-membership")
    assert api.count("claims") == before


def test_another_members_claim_answers_like_a_missing_one(world: World) -> None:
    api = world.api
    missing = problem(api.get(f"/v1/claims/{world.claim_b + 1000}", world.b), 404, "unknown-claim")
    hidden = problem(api.get(f"/v1/claims/{world.claim_a}", world.b), 404)
    assert hidden["code"] == missing["code"] == "unknown-claim"
    assert hidden["field"] == missing["field"]
    assert hidden["detail"] == f"no claim {world.claim_a}"


def test_my_charges_person_and_dependants_are_the_callers_own(world: World) -> None:
    api = world.api
    url = f"/v1/rounds/{world.round_id}/my-charges"

    def charged(user: User) -> set[int]:
        r = api.get(url, user)
        assert r.status_code == 200, r.text
        assert all(c["charged"] == {"fen": 10, "currency": "CNY"} for c in r.json())
        return {c["membership_id"] for c in r.json()}

    assert charged(world.a) == {world.m_a, world.d_membership}
    assert charged(world.b) == {world.m_b}
    assert charged(world.reviewer) == {world.reviewer.memberships[PLAN], world.rd_membership}
    assert charged(world.c) == set()  # paid out before the lock: not charged
    assert charged(world.operator) == set()  # no person: nothing of anybody's
    problem(api.get(f"/v1/rounds/{world.round_id + 1000}/my-charges", world.b), 404)
    # the person behind /v1/me is the caller's own too
    for user in (world.a, world.b):
        r = api.get("/v1/me/person", user)
        assert r.status_code == 200
        assert r.json()["id"] == user.person_id
        assert r.json()["id_number"] == user.id_number
    assert world.a.id_number not in api.get("/v1/me/person", world.b).text
    assert api.get("/v1/me/dependants", world.b).json() == []
    deps = api.get("/v1/me/dependants", world.a).json()
    assert [d["id"] for d in deps] == [world.d_person]
    assert all(d["guardian_id"] == world.a.person_id for d in deps)


def _dependant_number(world: World) -> str:
    (dep,) = world.api.get("/v1/me/dependants", world.a).json()
    return str(dep["id_number"])


def test_b_cannot_adopt_a_or_a_dependant(world: World) -> None:
    """Quoting a number on file is answered like any other, and is held: nothing is linked."""
    api = world.api
    for number, name in ((world.a.id_number, world.a.name), (_dependant_number(world), "张小宝")):
        r = api.post("/v1/me/dependants", world.b, json={"id_number": number, "name": name})
        assert r.status_code == 202 and r.json()["state"] == "received", r.text
    assert api.get("/v1/me/dependants", world.b).json() == []
    # nor can a new account take A's identity
    eve = api.account("eve")
    r = api.put("/v1/me/person", eve, json={"id_number": world.a.id_number, "name": "李明华"})
    assert r.status_code == 202, r.text
    problem(api.get("/v1/me/person", eve), 404, "identity-pending")
    assert api.get("/v1/memberships", eve).json()["items"] == []
    problem(api.join(eve, "xiaomi-huzhu"), 400)  # no identity to join with


def test_a_new_account_cannot_take_over_a_dependants_identity(world: World) -> None:
    api = world.api
    eve = api.account("eve")
    r = api.put(
        "/v1/me/person", eve, json={"id_number": _dependant_number(world), "name": "张小宝"}
    )
    assert r.status_code == 202, r.text
    problem(api.get("/v1/me/person", eve), 404, "identity-pending")
    problem(api.get(f"/v1/memberships/{world.d_membership}", eve), 404, "unknown-membership")


def test_a_member_without_an_account_cannot_be_adopted(world: World) -> None:
    api = world.api
    imported = join_one(api.engine, PLAN, AFTER_LOCK, n=77, birth=date(1980, 1, 1), name="孙大圣")
    number = id_number(77, date(1980, 1, 1))
    r = api.post("/v1/me/dependants", world.b, json={"id_number": number, "name": "孙大圣"})
    assert r.status_code == 202, r.text
    assert api.get("/v1/me/dependants", world.b).json() == []
    problem(api.get(f"/v1/memberships/{imported.membership_id}", world.b), 404)
    problem(api.post(f"/v1/memberships/{imported.membership_id}/leave", world.b), 404)


def test_b_cannot_join_with_someone_elses_dependant(world: World) -> None:
    api = world.api
    before = api.count("memberships")
    for dependant in (world.d_person, world.a.person_id, world.rd_person):
        r = api.join(world.b, "xiaomi-huzhu", dependant_id=dependant)
        problem(r, 404, "unknown-dependant")
    assert api.count("memberships") == before


def test_a_guardian_acts_for_their_dependant(world: World) -> None:
    api = world.api
    # the dependant's claim and statement are the guardian's to see
    assert api.get(f"/v1/claims/{world.claim_d}", world.a).json()["state"] == "submitted"
    s = api.get(f"/v1/memberships/{world.d_membership}/statement", world.a)
    assert s.status_code == 200, s.text
    assert s.json()["total_paid"] == {"fen": 10, "currency": "CNY"}
    assert [c["round_id"] for c in s.json()["charges"]] == [world.round_id]
    assert s.json()["people_helped"] == 1
    # join another plan for them, top up, claim, and leave
    joined = api.join(world.a, "xiaomi-huzhu", dependant_id=world.d_person)
    assert joined.status_code == 201, joined.text
    assert joined.json()["membership"]["person_id"] == world.d_person
    listed = {m["id"] for m in api.get("/v1/memberships", world.a).json()["items"]}
    assert listed == {world.m_a, world.d_membership, joined.json()["membership"]["id"]}
    top = api.post(
        f"/v1/memberships/{world.d_membership}/top-ups", world.a, json={"amount_fen": 300}, key="t"
    )
    assert top.status_code == 201, top.text
    left = api.post(f"/v1/memberships/{world.d_membership}/leave", world.a)
    assert left.status_code == 200, left.text
    assert left.json()["status"] == "left"


# --- roles ----------------------------------------------------------------------------------

STAFF_READS = [
    f"/v1/ledger/accounts?plan_id={PLAN}",
    f"/v1/ledger/transactions?plan_id={PLAN}",
    "/v1/audit",
    "/v1/audit-log",
    "/v1/accounts",
    "/v1/webhook-events",
]


def _staff_writes(w: World) -> list[tuple[str, str, Any, str | None]]:
    return [
        ("POST", f"/v1/claims/{w.claim_b}/approve", None, None),
        ("POST", f"/v1/claims/{w.claim_b}/reject", {"reason_code": "x", "explanation": "y"}, None),
        ("POST", f"/v1/plans/{PLAN}/rounds", {"announce_date": "2026-03-21"}, "run"),
        ("PUT", f"/v1/accounts/{w.b.account_id}/roles", {"roles": ["operator"]}, None),
        ("POST", "/v1/host-apps", {"name": "sneaky"}, None),
    ]


def test_a_member_has_no_staff_powers(world: World) -> None:
    api = world.api
    for path in STAFF_READS:
        problem(api.get(path, world.b), 403, "role-required")
    for method, path, body, key in _staff_writes(world):
        problem(api.call(method, path, world.b, json=body, key=key), 403, "role-required")
    # nothing happened: no self-promotion, no decision, no round, no host app
    assert api.get("/v1/me", world.b).json()["roles"] == ["member"]
    assert api.get(f"/v1/claims/{world.claim_b}", world.b).json()["state"] == "submitted"
    assert api.count("rounds") == 1
    assert api.count("host_apps") == 0


def test_a_reviewer_works_the_queue_but_never_their_own(world: World) -> None:
    api = world.api
    r = world.reviewer
    queue = api.get("/v1/claims?state=submitted", r)
    assert {c["id"] for c in queue.json()["items"]} == {
        world.claim_a, world.claim_d, world.claim_b, world.claim_r, world.claim_rd
    }  # fmt: skip
    assert api.get(f"/v1/claims/{world.claim_a}", r).status_code == 200
    approved = api.post(f"/v1/claims/{world.claim_b}/approve", r)
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    rejected = api.post(
        f"/v1/claims/{world.claim_a}/reject",
        r,
        json={"reason_code": "no-evidence", "explanation": "no hospital report was attached"},
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["state"] == "rejected"
    assert rejected.json()["reason_code"] == "no-evidence"
    for own in (world.claim_r, world.claim_rd):
        problem(api.post(f"/v1/claims/{own}/approve", r), 403, "conflict-of-interest")
        reject = {"reason_code": "x", "explanation": "y"}
        problem(api.post(f"/v1/claims/{own}/reject", r, json=reject), 403, "conflict-of-interest")
        assert api.get(f"/v1/claims/{own}", r).json()["state"] == "submitted"
    problem(api.run_round(r, ROUND_DAY), 403, "role-required")
    for path in STAFF_READS:
        problem(api.get(path, r), 403, "role-required")
    # a reviewer reads claims, not other members' memberships
    problem(api.get(f"/v1/memberships/{world.m_a}", r), 404, "unknown-membership")


def test_an_operator_runs_rounds_and_manages_roles(world: World) -> None:
    api = world.api
    op = world.operator
    rounds = api.get(f"/v1/plans/{PLAN}/rounds").json()["items"]
    assert [x["id"] for x in rounds] == [world.round_id]  # the world's round, run by op
    promoted = api.put(
        f"/v1/accounts/{world.b.account_id}/roles", op, json={"roles": ["member", "reviewer"]}
    )
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["roles"] == ["member", "reviewer"]
    assert api.get("/v1/me", world.b).json()["roles"] == ["member", "reviewer"]
    demote = api.put(f"/v1/accounts/{op.account_id}/roles", op, json={"roles": ["member"]})
    problem(demote, 409, "cannot-demote-self")
    assert api.get("/v1/me", op).json()["roles"] == ["operator"]
    app = api.post("/v1/host-apps", op, json={"name": "alipay"})
    assert app.status_code == 201, app.text
    assert app.json()["assertion_secret"] and app.json()["webhook_secret"]
    for path in STAFF_READS:
        assert api.get(path, op).status_code == 200, path
    # an operator reads every membership but acts for nobody, and decides no claim
    assert api.get(f"/v1/memberships/{world.m_a}", op).status_code == 200
    problem(api.post(f"/v1/memberships/{world.m_a}/leave", op), 404, "unknown-membership")
    problem(api.post(f"/v1/claims/{world.claim_a}/approve", op), 403, "role-required")
    assert api.get(f"/v1/memberships/{world.m_a}", world.a).json()["status"] != "left"


def test_an_auditor_reads_everything_and_changes_nothing(world: World) -> None:
    api = world.api
    aud = world.auditor
    for path in STAFF_READS:
        r = api.get(path, aud)
        assert r.status_code == 200, (path, r.text)
    assert api.get("/v1/audit", aud).json()["ok"] is True
    ledger = api.get(f"/v1/ledger/accounts?plan_id={PLAN}", aud).json()
    assert ledger and all(set(a["balance"]) == {"fen", "currency"} for a in ledger)
    assert api.get(f"/v1/memberships/{world.m_a}", aud).status_code == 200
    assert api.get(f"/v1/claims/{world.claim_a}", aud).status_code == 200
    for method, path, body, key in _staff_writes(world):
        problem(api.call(method, path, aud, json=body, key=key), 403, "role-required")
    problem(api.post(f"/v1/memberships/{world.m_a}/leave", aud), 404, "unknown-membership")
    top = api.post(f"/v1/memberships/{world.m_a}/top-ups", aud, json={"amount_fen": 1}, key="k")
    problem(top, 404, "unknown-membership")
    assert api.get("/v1/me", aud).json()["roles"] == ["auditor"]
    assert api.count("rounds") == 1


# --- public endpoints show only masked personal data ----------------------------------------


def test_public_endpoints_work_without_a_sign_in_and_mask_people(world: World) -> None:
    api = world.api
    r = api.get(f"/v1/rounds/{world.round_id}")
    assert r.status_code == 200, r.text
    (card,) = r.json()["case_cards"]
    assert card["claim_id"] == world.claim_c
    assert card["name"] == "吴*漫"
    assert card["province"] == "广东"
    assert card["age"] == 35
    assert card["payout"] == {"fen": 30_000_000, "currency": "CNY"}
    public_texts = [r.text]
    for path in (
        f"/v1/plans/{PLAN}/rounds",
        "/v1/plans",
        f"/v1/plans/{PLAN}",
        f"/v1/plans/{PLAN}/versions/1",
        f"/v1/plans/{PLAN}/conditions",
    ):
        got = api.get(path)
        assert got.status_code == 200, (path, got.text)
        public_texts.append(got.text)
    assert api.get(f"/v1/plans/{PLAN}/rounds").json()["items"][0]["cases"] == 1
    for text in public_texts:
        for secret in (world.c.name, world.c.id_number, C_PHONE, "1990-05-17", "北京协和医院"):
            assert secret is not None and secret not in text
        for user in (world.a, world.b, world.reviewer):
            assert user.name not in text and user.id_number not in text
    problem(api.get(f"/v1/rounds/{world.round_id + 1000}"), 404, "unknown-round")
