"""Builders for the HTTP API tests: an app on a test database, accounts, identities and a world.

Accounts are made through the services (no argon2 hash: a hash costs half a second here), and
everything a member does afterwards goes through the API itself.
"""

from __future__ import annotations

import socket
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from helpers import at, healthy, id_number, install, publish_text
from huzhu.api.app import create_app
from huzhu.api.ratelimit import RateLimiter
from huzhu.api.settings import Settings
from huzhu.domain.access import Role
from huzhu.domain.plan_fields import CHINA_TZ
from huzhu.plans.loader import template_text
from huzhu.services.accounts.service import HASHER, open_session
from huzhu.storage.uow import UnitOfWork

PLAN = "xiang-hu-bao"  # post-paid, accidents covered from day one, rounds on the 7th and 21st
NOW = at("2026-03-02")  # a Monday, 10:00 in Beijing
ROUND_DAY = date(2026, 3, 7)  # the first announcement date after NOW
AFTER_LOCK = at("2026-03-09")  # the round of ROUND_DAY may run from here on
TTL = timedelta(days=3650)  # sessions outlive every clock move a test makes

# The test client speaks plain HTTP, so its cookies cannot be Secure ones.
FAST = Settings(
    sign_in_limit="1000/minute",
    join_limit="1000/minute",
    session_ttl_minutes=TTL // timedelta(minutes=1),
    sandbox_credit_score=700,
    cookie_secure=False,
)

PASSWORD = "correct horse battery staple"
# One argon2id hash made once: hashing costs about half a second on this machine.
PASSWORD_HASH = HASHER.hash(PASSWORD)

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


@contextmanager
def live_server(app: FastAPI, **options: Any) -> Iterator[str]:
    """`app` served by uvicorn on a free loopback port, in a thread; yields its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="on", **{"log_level": "warning", **options}
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class Clock:
    """The app's clock (`app.state.clock`), which a test moves on."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def real_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class User:
    username: str
    account_id: int
    token: str
    person_id: int | None = None
    id_number: str | None = None
    name: str | None = None
    memberships: dict[str, int] = field(default_factory=dict)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def frozen_limits(api: Api) -> Api:
    """The limiter's clock stands still mid-window. On the real clock, hits at the end of one
    window and the next at the start of the following one let the sliding-window estimate admit
    one hit more than the limit: a test of a limit would fail now and then."""
    api.app.state.limiter = RateLimiter(lambda: 1050.0)  # 17.5 windows of a minute
    return api


def problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert an RFC 9457 problem with this status (and code); returns the body."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["type"] == f"urn:huzhu:problem:{body['code']}"
    if code is not None:
        assert body["code"] == code, body
    # Each answer has its own request id (issue 15); the rest of the problem is compared as is.
    assert body.pop("instance") == f"urn:huzhu:request:{response.headers['x-request-id']}"
    return body


def with_password(api: Api, username: str) -> int:
    """An account that signs in with PASSWORD (made through the repository, hash made once)."""
    with UnitOfWork(api.engine) as uow:
        account_id = uow.accounts.add(
            now=api.clock(),
            roles=frozenset({Role.MEMBER}),
            username=username,
            password_hash=PASSWORD_HASH,
        )
        uow.commit()
    return account_id


class Api:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        settings: Settings = FAST,
        *,
        install_plans: bool = True,
    ) -> None:
        self.engine = engine
        self.clock = clock
        if install_plans:
            install(engine, clock())
        self.app = create_app(settings, engine)
        self.app.state.clock = clock
        # One event loop for the app's whole life, as under uvicorn: the one-statement join keeps
        # its connections per loop, and the app's shutdown closes them.
        self.client = TestClient(self.app, raise_server_exceptions=False)
        self.client.__enter__()
        weakref.finalize(self, self.client.__exit__, None, None, None)
        self._n = 0
        self._answers: dict[str, dict[str, bool]] = {}

    # --- plumbing -------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        user: User | None = None,
        *,
        json: Any = None,
        key: str | None = None,
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if user is not None:
            sent.update(user.auth)
        if key is not None:
            sent["Idempotency-Key"] = key
        return self.client.request(method, path, json=json, headers=sent, **kw)

    def get(self, path: str, user: User | None = None, **kw: Any) -> httpx.Response:
        return self.call("GET", path, user, **kw)

    def post(self, path: str, user: User | None = None, **kw: Any) -> httpx.Response:
        return self.call("POST", path, user, **kw)

    def put(self, path: str, user: User | None = None, **kw: Any) -> httpx.Response:
        return self.call("PUT", path, user, **kw)

    def count(self, table: str, where: str = "1=1", **params: Any) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(text(f"SELECT count(*) FROM {table} WHERE {where}"), params))

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params))

    def today(self) -> date:
        """The calendar date in Beijing, as the plans count days."""
        return self.clock().astimezone(CHINA_TZ).date()

    def next_n(self) -> int:
        self._n += 1
        return self._n

    # --- people ---------------------------------------------------------------------------

    def account(self, username: str, *roles: str) -> User:
        """An account with these roles (default member) and a bearer session."""
        now = self.clock()
        with UnitOfWork(self.engine) as uow:
            account_id = uow.accounts.add(
                now=now,
                roles=frozenset(Role(r) for r in (roles or ("member",))),
                username=username,
            )
            issued = open_session(uow, account_id, now, cookie=False, ttl=TTL)
            uow.commit()
        return User(username, account_id, issued.token)

    def sign_in_again(self, user: User) -> User:
        """A second, independent session for the same account."""
        with UnitOfWork(self.engine) as uow:
            issued = open_session(uow, user.account_id, self.clock(), cookie=False, ttl=TTL)
            uow.commit()
        return User(user.username, user.account_id, issued.token, user.person_id)

    def person_body(
        self,
        *,
        n: int | None = None,
        birth: date = date(1990, 5, 17),
        name: str = "张伟",
        **extra: Any,
    ) -> dict[str, Any]:
        number = id_number(n if n is not None else self.next_n(), birth)
        return {"id_number": number, "name": name, **extra}

    def identity(self, user: User, **person: Any) -> User:
        body = self.person_body(**person)
        r = self.put("/v1/me/person", user, json=body)
        assert r.status_code == 202, r.text
        user.person_id = self.get("/v1/me/person", user).json()["id"]
        user.id_number = body["id_number"]
        user.name = body["name"]
        return user

    def member(self, username: str, *roles: str, plan: str | None = PLAN, **person: Any) -> User:
        """An account with an identity and (unless plan is None) a membership of `plan`."""
        user = self.identity(self.account(username, *(roles or ("member",))), **person)
        if plan is not None:
            user.memberships[plan] = self.joined(user, plan)
        return user

    def dependant(self, guardian: User, **person: Any) -> int:
        person.setdefault("birth", date(2015, 6, 1))
        person.setdefault("name", "张小宝")
        body = self.person_body(**person)
        r = self.post("/v1/me/dependants", guardian, json=body)
        assert r.status_code == 202, r.text
        mine = self.get("/v1/me/dependants", guardian).json()
        return int(next(d["id"] for d in mine if d["id_number"] == body["id_number"]))

    # --- actions --------------------------------------------------------------------------

    def join(
        self, user: User, plan: str = PLAN, *, key: str | None = "auto", **fields: Any
    ) -> httpx.Response:
        if plan not in self._answers:
            self._answers[plan] = healthy(self.engine, plan)
        body = {"plan_id": plan, "health_answers": self._answers[plan], **fields}
        if key == "auto":
            key = f"join-{self.next_n()}"
        return self.post("/v1/memberships", user, json=body, key=key)

    def joined(self, user: User, plan: str = PLAN, **fields: Any) -> int:
        r = self.join(user, plan, **fields)
        assert r.status_code == 201, r.text
        return int(r.json()["membership"]["id"])

    def pay_deposit(self, user: User, plan: str, membership: int) -> None:
        """A prepaid plan's deposit is asked of the gateway on joining and cover starts when it
        arrives; here the member pays it at once, as a top-up."""
        with UnitOfWork(self.engine) as uow:
            deposit = uow.plans.get(plan).collection.initial_deposit
        assert deposit
        paid = self.post(
            f"/v1/memberships/{membership}/top-ups",
            user,
            json={"amount_fen": deposit},
            key=f"deposit-{self.next_n()}",
        )
        assert paid.status_code == 201, paid.text

    def claim_body(self, membership_id: int, **extra: Any) -> dict[str, Any]:
        return {
            "membership_id": membership_id,
            "condition_code": "AC-01",  # accidents are covered from day one
            "diagnosis_date": self.today().isoformat(),
            "hospital": "北京协和医院",
            "evidence": ["report.pdf"],
            **extra,
        }

    def claim(self, user: User, membership_id: int, **extra: Any) -> int:
        r = self.post("/v1/claims", user, json=self.claim_body(membership_id, **extra))
        assert r.status_code == 201, r.text
        assert r.json()["state"] == "submitted", r.text
        return int(r.json()["id"])

    def run_round(self, operator: User, day: date, plan: str = PLAN) -> httpx.Response:
        return self.post(
            f"/v1/plans/{plan}/rounds",
            operator,
            json={"announce_date": day.isoformat()},
            key=f"round-{plan}-{day}",
        )


@dataclass
class World:
    """Who is who in the authorization tests, all made through the API at NOW.

    A and B are plain members; A enrolled dependant D. R is a reviewer who is also a member and
    enrolled dependant RD. C's claim was approved and shared in the round of ROUND_DAY. The clock
    stands at AFTER_LOCK when the world is handed over.
    """

    api: Api
    a: User
    b: User
    c: User
    reviewer: User
    operator: User
    auditor: User
    d_person: int
    d_membership: int
    rd_person: int
    rd_membership: int
    claim_a: int
    claim_d: int
    claim_b: int
    claim_r: int
    claim_rd: int
    claim_c: int
    round_id: int

    @property
    def m_a(self) -> int:
        return self.a.memberships[PLAN]

    @property
    def m_b(self) -> int:
        return self.b.memberships[PLAN]


C_PHONE = "13800138000"


def build_world(api: Api) -> World:
    operator = api.account("operator", "operator")
    auditor = api.account("auditor", "auditor")
    a = api.member("alice", name="李明华")
    b = api.member("bob", name="王建国")
    c = api.member("carol", name="吴小漫", phone=C_PHONE, province_code="44")
    reviewer = api.member("rita", "member", "reviewer", name="赵敏")
    d_person = api.dependant(a)
    d_membership = api.joined(a, dependant_id=d_person)
    rd_person = api.dependant(reviewer, name="赵小宝")
    rd_membership = api.joined(reviewer, dependant_id=rd_person)
    claim_a = api.claim(a, a.memberships[PLAN])
    claim_d = api.claim(a, d_membership)
    claim_b = api.claim(b, b.memberships[PLAN])
    claim_r = api.claim(reviewer, reviewer.memberships[PLAN])
    claim_rd = api.claim(reviewer, rd_membership)
    claim_c = api.claim(c, c.memberships[PLAN])
    r = api.post(f"/v1/claims/{claim_c}/approve", reviewer)
    assert r.status_code == 200, r.text
    api.clock.now = AFTER_LOCK
    r = api.run_round(operator, ROUND_DAY)
    assert r.status_code == 201, r.text
    return World(
        api=api,
        a=a,
        b=b,
        c=c,
        reviewer=reviewer,
        operator=operator,
        auditor=auditor,
        d_person=d_person,
        d_membership=d_membership,
        rd_person=rd_person,
        rd_membership=rd_membership,
        claim_a=claim_a,
        claim_d=claim_d,
        claim_b=claim_b,
        claim_r=claim_r,
        claim_rd=claim_rd,
        claim_c=claim_c,
        round_id=int(r.json()["id"]),
    )


# Xiang Hu Bao votes in public (1,001 votes a case): tests of a small drawn jury switch its rules.
DRAWN_JURY = 'jury_mode = "drawn"\njury_size = 7\njury_quorum = 5\n'


def claim_rules(api: Api, rules: str) -> None:
    """Version 2 of the world's plan (Xiang Hu Bao) with these `[claims]` rules, from now."""
    text = template_text(PLAN)
    text = text[: text.index("\n[claims]")] + "\n[claims]\n" + rules
    text = text.replace("\nversion = 1", "\nversion = 2").replace(
        "effective_from = 2018-10-16", f"effective_from = {api.clock.now.date()}"
    )
    text = text.replace("\n[names]", '\nchanges = "How appeals are decided."\n\n[names]', 1)
    publish_text(api.engine, text, api.clock.now)
