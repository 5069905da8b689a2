"""The one-statement join (PostgreSQL) writes exactly what the general join writes, and every case
it does not handle falls back to the general path with the general path's answer.

Each test runs on both databases. On SQLite there is no quick path: the same requests must give
the same answers through the general path alone.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
from apikit import FAST, PLAN, Api, Clock, User, frozen_limits, problem
from sqlalchemy import Engine, text
from test_idempotency import live_server

from helpers import healthy
from huzhu.api.join import QuickPath


def quick_of(api: Api) -> QuickPath | None:
    path: QuickPath | None = api.app.state.quick_join
    return path


def is_postgres(api: Api) -> bool:
    return api.engine.dialect.name == "postgresql"


def assert_paths(api: Api, quick: int, general: int) -> None:
    """How many joins took each path (on SQLite every join is general, uncounted)."""
    path = quick_of(api)
    if not is_postgres(api):
        assert path is None
        return
    assert path is not None
    assert (path.quick, path.general) == (quick, general)


def as_json(value: Any) -> Any:
    """JSON columns come back parsed on PostgreSQL and as text on SQLite."""
    return json.loads(value) if isinstance(value, str) else value


def written(engine: Engine, account_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Everything a join wrote for this account, with its own ids replaced by names."""
    m = body["membership"]
    own = {"person": m["person_id"], "membership": m["id"]}

    def subject(value: str) -> str:
        kind, _, raw = value.partition(":")
        assert int(raw) == own[kind], value
        return f"{kind}:<own>"

    def details(value: Any) -> Any:
        doc = dict(as_json(value))
        if "membership_id" in doc:
            assert doc.pop("membership_id") == m["id"], doc
        return doc

    with engine.connect() as conn:
        person = conn.execute(
            text(
                "SELECT id_type, name, birth_date, sex, province_code, city_tier, rural, phone,"
                " email, credit_score, labels, guardian_id, created_at FROM people WHERE id = :p"
            ),
            {"p": m["person_id"]},
        ).one()
        membership = conn.execute(
            text(
                "SELECT plan_id, plan_version, joined_at, lifecycle, exit_on, suspended_at,"
                " left_at, leave_reason, person_id = :p AS own FROM memberships WHERE id = :m"
            ),
            {"m": m["id"], "p": m["person_id"]},
        ).one()
        events = conn.execute(
            text(
                "SELECT at, from_state, to_state, reason FROM membership_events"
                " WHERE membership_id = :m ORDER BY id"
            ),
            {"m": m["id"]},
        ).all()
        audit = conn.execute(
            text(
                "SELECT at, action, subject, details FROM audit_log"
                " WHERE actor_account_id = :a ORDER BY id"
            ),
            {"a": account_id},
        ).all()
        linked = conn.scalar(
            text("SELECT person_id FROM accounts WHERE id = :a"), {"a": account_id}
        )
        keys = conn.execute(
            text("SELECT key, status_code, response FROM idempotency_keys WHERE account_id = :a"),
            {"a": account_id},
        ).all()
        hooks = conn.execute(
            text(
                "SELECT type, payload, attempts, created_at, next_attempt_at FROM webhook_events"
                " WHERE type = 'member.joined' ORDER BY id"
            )
        ).all()
    assert linked == m["person_id"]
    assert [(k.status_code, as_json(k.response)) for k in keys] == [(201, body)]
    return {
        "person": (*tuple(person)[:10], as_json(person.labels), *tuple(person)[11:]),
        "membership": tuple(membership),
        "events": [tuple(e) for e in events],
        "audit": [(a.at, a.action, subject(a.subject), details(a.details)) for a in audit],
        "hooks": [
            (h.type, details(h.payload), *tuple(h)[2:])
            for h in hooks
            if as_json(h.payload)["membership_id"] == m["id"]
        ],
    }


def general_twin(api: Api) -> Api:
    """A second app on the same database and clock that always takes the general path."""
    twin = Api(
        api.engine, api.clock, FAST.model_copy(update={"quick_join": False}), install_plans=False
    )
    assert quick_of(twin) is None
    return twin


def join_inline(api: Api, user: User, n: int, key: str, **person: Any) -> httpx.Response:
    return api.join(user, PLAN, key=key, person=api.person_body(n=n, **person))


def test_both_paths_write_the_same_join(api: Api) -> None:
    general = general_twin(api)
    a, b = api.account("a"), general.account("b")
    first = join_inline(api, a, 1, "k-1", phone="+86 138 0000 0000")
    # n sets the ID number's sequence, whose parity is the sex: 1 and 3 differ only in number
    second = join_inline(general, b, 3, "k-1", phone="+86 138 0000 0000")
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert_paths(api, quick=1, general=0)

    def without_ids(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "membership": {**body["membership"], "id": 0, "person_id": 0}}

    assert without_ids(first.json()) == without_ids(second.json())
    assert written(api.engine, a.account_id, first.json()) == written(
        api.engine, b.account_id, second.json()
    )
    # and what the member reads back afterwards is the same as the join's answer
    m = first.json()["membership"]
    assert api.get(f"/v1/memberships/{m['id']}", a).json() == m


def test_a_replay_and_a_conflicting_reuse_of_the_key(api: Api) -> None:
    a = api.account("a")
    first = join_inline(api, a, 1, "same")
    again = join_inline(api, a, 1, "same")
    assert first.status_code == 201 and again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    problem(join_inline(api, a, 2, "same"), 409, "idempotency-key-reused")
    assert api.count("memberships") == 1 and api.count("people") == 1
    assert_paths(api, quick=1, general=2)


def test_refusals_come_from_the_general_path_and_write_nothing(api: Api) -> None:
    a, b, c = api.account("a"), api.account("b"), api.account("c")
    old = join_inline(api, a, 1, "k", birth=api.today().replace(year=api.today().year - 70))
    body = problem(old, 409, "age-out-of-range")
    assert [v["code"] for v in body["violations"]] == ["age-out-of-range"]
    assert api.count("people") == 0 and api.count("idempotency_keys") == 0
    assert join_inline(api, b, 2, "k").status_code == 201
    # c quotes b's ID number: refused, and b's identity stays b's
    problem(join_inline(api, c, 2, "k"), 409, "identity-pending")
    assert api.count("people") == 1 and api.count("memberships") == 1
    problem(api.join(api.account("d"), PLAN, key=None, person=api.person_body(n=3)), 400)
    problem(api.post("/v1/memberships", json={"plan_id": PLAN, "health_answers": {}}), 401)
    assert api.count("people") == 1
    assert_paths(api, quick=1, general=4)


def test_the_rate_limit_comes_before_either_path(engine: Engine, clock: Clock) -> None:
    api = frozen_limits(Api(engine, clock, FAST.model_copy(update={"join_limit": "2/minute"})))
    a = api.account("a")
    assert join_inline(api, a, 1, "k-1").status_code == 201
    # the account now has its identity: further joins name another plan, without `person`
    assert api.join(a, "meituan-huzhu", key="k-2").status_code == 201
    problem(api.join(a, "qingsong-huzhu", key="k-3"), 429, "rate-limited")
    # the limit is per client session: another account still joins, on the quick path
    assert join_inline(api, api.account("b"), 2, "k-1").status_code == 201
    assert api.count("memberships") == 3
    assert_paths(api, quick=2, general=1)  # the refused join reached neither path


def test_a_host_app_user_gets_the_same_webhook_on_both_paths(api: Api) -> None:
    operator = api.account("operator", "operator")
    r = api.post("/v1/host-apps", operator, json={"name": "alipay", "webhook_url": "http://h/x"})
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    general = general_twin(api)
    users = []
    for name in ("2088-a", "2088-b"):
        user = api.account(name)
        with api.engine.begin() as conn:
            conn.execute(
                text("UPDATE accounts SET host_app_id = :h, external_id = :e WHERE id = :a"),
                {"h": app_id, "e": name, "a": user.account_id},
            )
        users.append(user)
    first = join_inline(api, users[0], 1, "k")
    second = join_inline(general, users[1], 3, "k")
    assert first.status_code == second.status_code == 201
    one = written(api.engine, users[0].account_id, first.json())
    two = written(api.engine, users[1].account_id, second.json())
    assert len(one["hooks"]) == 1 and one["hooks"][0][1]["external_user_id"] == "2088-a"
    one["hooks"][0][1]["external_user_id"] = "2088-b"
    assert one == two
    assert_paths(api, quick=1, general=0)


def test_concurrent_twins_join_once(api: Api) -> None:
    """Eight copies of one join race on a live server: one membership, eight equal answers."""
    a = api.account("a")
    answers_ = healthy(api.engine, PLAN)
    body = {"plan_id": PLAN, "health_answers": answers_, "person": api.person_body(n=1)}
    answers: list[Any] = [None] * 8
    start = threading.Barrier(8)

    def fire(i: int, base: str) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            start.wait()
            r = client.post(
                "/v1/memberships", json=body, headers={**a.auth, "Idempotency-Key": "twin"}
            )
            answers[i] = (r.status_code, r.json())

    with live_server(api.app) as base:
        threads = [threading.Thread(target=fire, args=(i, base)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert {a[0] for a in answers} == {201}, answers
    assert all(a[1] == answers[0][1] for a in answers)
    assert api.count("memberships") == 1 and api.count("people") == 1
    assert api.count("audit_log", "action = 'membership.joined'") == 1


def test_a_burst_of_joins_from_many_clients(api: Api) -> None:
    """Forty people join at once; two of them quote the same ID number. Every join gets its own
    answer, the shared number is registered once, and the audit log has one entry per step."""
    users = [api.account(f"u{n}") for n in range(40)]
    answers_ = healthy(api.engine, PLAN)
    bodies = [
        {"plan_id": PLAN, "health_answers": answers_, "person": api.person_body(n=n)}
        for n in range(40)
    ]
    bodies[39]["person"] = bodies[0]["person"]
    answers: list[Any] = [None] * 40
    start = threading.Barrier(40)

    def fire(i: int, base: str) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            start.wait()
            r = client.post(
                "/v1/memberships",
                json=bodies[i],
                headers={**users[i].auth, "Idempotency-Key": f"burst-{i}"},
            )
            answers[i] = (r.status_code, r.json())

    with live_server(api.app) as base:
        threads = [threading.Thread(target=fire, args=(i, base)) for i in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    statuses = sorted(a[0] for a in answers)
    assert statuses == [201] * 39 + [409], answers
    refused = [a[1] for a in answers if a[0] == 409]
    # the later one either found b's number on file (held for the operator) or raced its insert
    assert refused[0]["code"] in ("identity-pending", "id-number-registered", "conflict")
    created = [a[1]["membership"] for a in answers if a[0] == 201]
    assert len({m["id"] for m in created}) == len({m["person_id"] for m in created}) == 39
    assert api.count("memberships") == 39 and api.count("people") == 39
    assert api.count("audit_log", "action = 'person.linked'") == 39
    assert api.count("audit_log", "action = 'membership.joined'") == 39
    assert api.count("idempotency_keys") == 39
    linked = api.rows("SELECT id, person_id FROM accounts WHERE person_id IS NOT NULL")
    owner = {u.account_id: i for i, u in enumerate(users)}
    for account_id, person_id in linked:
        i = owner[account_id]
        assert answers[i][0] == 201 and answers[i][1]["membership"]["person_id"] == person_id
    path = quick_of(api)
    if path is not None:
        assert path.quick + path.general == 40 and path.quick >= 38
