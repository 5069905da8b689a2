"""Accounts and sign-in: passwords, bearer tokens, cookie sessions with CSRF, host-app assertions
and rate limits (issue 3, "Accounts and roles", "Rate limiting per client on sign-in and join")."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
import pytest
from apikit import (
    PASSWORD,
    PLAN,
    TTL,
    Api,
    Clock,
    User,
    frozen_limits,
    problem,
    real_now,
    with_password,
)
from sqlalchemy import Engine

from huzhu.api.settings import Settings
from huzhu.services.accounts.service import HASHER

# --- passwords and bearer tokens ------------------------------------------------------------


def test_register_then_sign_in_then_me(api: Api) -> None:
    r = api.post("/v1/accounts", json={"username": "alice", "password": PASSWORD})
    assert r.status_code == 201, r.text
    account = r.json()
    assert account["username"] == "alice" and account["roles"] == ["member"]
    assert account["person_id"] is None
    problem(api.get("/v1/me"), 401, "unauthenticated")
    token = api.post("/v1/auth/token", json={"username": "alice", "password": PASSWORD})
    assert token.status_code == 200, token.text
    assert token.json()["token_type"] == "bearer"
    assert token.json()["account_id"] == account["id"]
    me = api.get("/v1/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert me.status_code == 200
    assert me.json() == account
    # argon2id, never the password itself; the token is stored only as a digest
    (stored,) = api.rows("SELECT password_hash FROM accounts WHERE username = 'alice'")
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    assert HASHER.verify(stored.password_hash, PASSWORD)
    (session,) = api.rows("SELECT token_hash, kind FROM auth_sessions")
    assert session.kind == "bearer"
    assert token.json()["access_token"] not in session.token_hash


def test_a_wrong_password_and_an_unknown_user_look_the_same(api: Api) -> None:
    with_password(api, "alice")
    wrong = api.post("/v1/auth/token", json={"username": "alice", "password": "not the password"})
    unknown = api.post("/v1/auth/token", json={"username": "nobody", "password": PASSWORD})
    assert problem(wrong, 401, "bad-credentials") == problem(unknown, 401, "bad-credentials")
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"] == "Bearer"
    assert api.count("auth_sessions") == 0


def test_a_weak_password_is_refused(api: Api) -> None:
    for password in ("short", "123456789", " " * 4 + "abc"):
        r = api.post("/v1/accounts", json={"username": "alice", "password": password})
        body = problem(r, 400, "weak-password")
        assert body["field"] == "password"
    assert api.count("accounts") == 0


def test_a_username_is_taken_once(api: Api) -> None:
    with_password(api, "alice")
    r = api.post("/v1/accounts", json={"username": "alice", "password": PASSWORD + "!"})
    problem(r, 409, "username-taken")
    problem(api.post("/v1/accounts", json={"username": "a b", "password": PASSWORD}), 400)
    assert api.count("accounts") == 1


def test_logout_revokes_a_bearer_token(api: Api) -> None:
    with_password(api, "alice")
    token = api.post("/v1/auth/token", json={"username": "alice", "password": PASSWORD}).json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    other = api.sign_in_again(User("alice", token["account_id"], ""))
    assert api.get("/v1/me", headers=auth).status_code == 200
    assert api.post("/v1/auth/logout", headers=auth).status_code == 204
    problem(api.get("/v1/me", headers=auth), 401, "bad-token")
    problem(api.post("/v1/auth/logout", headers=auth), 401, "bad-token")
    # only that session ended
    assert api.get("/v1/me", other).status_code == 200


def test_a_session_expires(engine: Engine, clock: Clock) -> None:
    api = Api(
        engine,
        clock,
        Settings(sign_in_limit="100/minute", session_ttl_minutes=60, cookie_secure=False),
    )
    with_password(api, "alice")
    token = api.post("/v1/auth/token", json={"username": "alice", "password": PASSWORD}).json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    clock.now += timedelta(minutes=59)
    assert api.get("/v1/me", headers=auth).status_code == 200
    clock.now += timedelta(minutes=2)
    problem(api.get("/v1/me", headers=auth), 401, "bad-token")


# --- cookie sessions for the portal ---------------------------------------------------------


def _cookie_attributes(set_cookies: list[str], name: str) -> set[str]:
    (line,) = [c for c in set_cookies if c.startswith(f"{name}=")]
    return {part.strip().lower() for part in line.split(";")[1:]}


def test_a_cookie_session_needs_the_csrf_token_for_changes(api: Api) -> None:
    with_password(api, "alice")
    r = api.post("/v1/auth/session", json={"username": "alice", "password": PASSWORD})
    assert r.status_code == 200, r.text
    csrf = r.json()["csrf_token"]
    assert csrf
    session_cookie = _cookie_attributes(r.headers.get_list("set-cookie"), "huzhu_session")
    assert {"httponly", "samesite=strict", "path=/"} <= session_cookie
    assert "httponly" not in _cookie_attributes(r.headers.get_list("set-cookie"), "huzhu_csrf")
    token = api.client.cookies["huzhu_session"]
    assert token and token != csrf
    assert api.count("auth_sessions", "kind = 'cookie'") == 1

    # reads work with the cookie alone
    me = api.get("/v1/me")
    assert me.status_code == 200 and me.json()["username"] == "alice"
    # changes need the token from the sign-in answer, echoed in a header
    person = api.person_body()
    problem(api.put("/v1/me/person", json=person), 403, "csrf-failed")
    wrong = {"X-CSRF-Token": csrf[:-2] + ("AA" if not csrf.endswith("AA") else "BB")}
    problem(api.put("/v1/me/person", json=person, headers=wrong), 403, "csrf-failed")
    problem(api.put("/v1/me/person", json=person, headers={"X-CSRF-Token": ""}), 403)
    problem(api.get("/v1/me/person"), 404, "no-person")  # the refused requests did nothing
    ok = api.put("/v1/me/person", json=person, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 202, ok.text
    assert api.get("/v1/me/person").json()["id_number"] == person["id_number"]

    # sign out (also a change), then the old cookie is dead
    problem(api.post("/v1/auth/logout"), 403, "csrf-failed")
    assert api.post("/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    api.client.cookies.clear()
    problem(api.get("/v1/me", headers={"Cookie": f"huzhu_session={token}"}), 401, "bad-token")


def test_a_bearer_token_sent_as_cookie_does_not_skip_csrf(api: Api) -> None:
    user = api.account("bob")
    api.client.cookies.set("huzhu_session", user.token)
    assert api.get("/v1/me").status_code == 200
    problem(api.put("/v1/me/person", json=api.person_body()), 403, "csrf-failed")
    problem(
        api.put("/v1/me/person", json=api.person_body(), headers={"X-CSRF-Token": "anything"}),
        403,
        "csrf-failed",
    )


# --- host apps sign their users in with assertions ------------------------------------------


@dataclass
class HostApp:
    api: Api
    id: int
    name: str
    secret: str

    def assertion(self, secret: str | None = None, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": "2088-0001",
            "aud": "huzhu",
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, secret or self.secret, algorithm="HS256")

    def exchange(self, token: str, app: str | None = None) -> Any:
        return self.api.post(
            "/v1/auth/host-assertion", json={"app": app or self.name, "assertion": token}
        )


@pytest.fixture
def host(engine: Engine) -> HostApp:
    # PyJWT checks exp and iat against the wall clock, so this app's clock is the real one.
    api = Api(engine, Clock(real_now()))
    operator = api.account("operator", "operator")
    r = api.post("/v1/host-apps", operator, json={"name": "alipay"})
    assert r.status_code == 201, r.text
    return HostApp(api, r.json()["id"], "alipay", r.json()["assertion_secret"])


def test_a_host_app_signs_its_user_in(host: HostApp) -> None:
    api = host.api
    first = host.exchange(host.assertion(sub="2088-0001"))
    assert first.status_code == 200, first.text
    auth = {"Authorization": f"Bearer {first.json()['access_token']}"}
    me = api.get("/v1/me", headers=auth).json()
    assert me["host_app_id"] == host.id
    assert me["roles"] == ["member"] and me["username"] is None
    # the same user again is the same account; another user is another account
    again = host.exchange(host.assertion(sub="2088-0001"))
    assert again.status_code == 200
    assert again.json()["account_id"] == first.json()["account_id"]
    assert again.json()["access_token"] != first.json()["access_token"]
    other = host.exchange(host.assertion(sub="2088-0002"))
    assert other.status_code == 200
    assert other.json()["account_id"] != first.json()["account_id"]
    # and the member can act: give an identity and join
    user = User("host-user", me["id"], first.json()["access_token"])
    api.identity(user)
    assert api.join(user).status_code == 201


def test_an_assertion_is_accepted_once(host: HostApp) -> None:
    token = host.assertion()
    assert host.exchange(token).status_code == 200
    problem(host.exchange(token), 401, "assertion-replayed")
    # the same jti in a freshly signed assertion is a replay too
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    problem(host.exchange(host.assertion(jti=jti, sub="2088-0009")), 401, "assertion-replayed")
    assert host.api.count("accounts", "host_app_id IS NOT NULL") == 1


def _bad_assertions(host: HostApp) -> dict[str, tuple[str, str | None]]:
    now = int(time.time())
    return {
        "wrong secret": (host.assertion(secret="not-the-secret-" + "x" * 32), None),
        "expired": (host.assertion(iat=now - 600, exp=now - 60), None),
        "wrong audience": (host.assertion(aud="someone-else"), None),
        "no audience": (host.assertion(aud=None), None),
        "no jti": (host.assertion(jti=None), None),
        "no sub": (host.assertion(sub=None), None),
        "no exp": (host.assertion(exp=None), None),
        "no iat": (host.assertion(iat=None), None),
        "lives 11 minutes": (host.assertion(iat=now, exp=now + 660), None),
        "issued in the future": (host.assertion(iat=now + 120, exp=now + 300), None),
        "unsigned": (
            jwt.encode(
                {"sub": "x", "aud": "huzhu", "iat": now, "exp": now + 60, "jti": "u"},
                None,
                algorithm="none",
            ),
            None,
        ),
        "HS512": (
            jwt.encode(
                {"sub": "x", "aud": "huzhu", "iat": now, "exp": now + 60, "jti": "h"},
                host.secret,
                algorithm="HS512",
            ),
            None,
        ),
        "not a JWT": ("definitely.not.ajwt", None),
        "unknown app": (host.assertion(), "no-such-app"),
    }


@pytest.mark.filterwarnings("ignore:The HMAC key is")  # our own HS512 forgery attempt
def test_bad_assertions_are_refused(host: HostApp) -> None:
    for what, (token, app) in _bad_assertions(host).items():
        r = host.exchange(token, app)
        assert r.status_code == 401, (what, r.text)
        assert problem(r, 401, "bad-assertion"), what
    assert host.api.count("accounts", "host_app_id IS NOT NULL") == 0
    assert host.api.count("auth_sessions") == 1  # the operator's own


def test_an_assertion_in_its_leeway_window_is_still_accepted_once(host: HostApp) -> None:
    now = int(time.time())
    token = host.assertion(iat=now - 120, exp=now - 5)  # expired, but within the 30 s leeway
    assert host.exchange(token).status_code == 200
    problem(host.exchange(token), 401, "assertion-replayed")


# --- rate limits ----------------------------------------------------------------------------

LIMITED = Settings(
    sign_in_limit="3/minute",
    join_limit="2/minute",
    session_ttl_minutes=TTL // timedelta(minutes=1),
    cookie_secure=False,
)


def limited_api(engine: Engine, clock: Clock) -> Api:
    """An API with LIMITED, its limiter's clock still (apikit.frozen_limits)."""
    return frozen_limits(Api(engine, clock, LIMITED))


def test_sign_in_is_rate_limited_per_client(engine: Engine, clock: Clock) -> None:
    api = limited_api(engine, clock)
    with_password(api, "alice")
    for _ in range(3):
        r = api.post("/v1/auth/token", json={"username": "alice", "password": "guess-guess-1"})
        problem(r, 401, "bad-credentials")
    # the 4th try is refused before the password is even checked, right one or not
    limited = api.post("/v1/auth/token", json={"username": "alice", "password": PASSWORD})
    problem(limited, 429, "rate-limited")
    cookie = api.post("/v1/auth/session", json={"username": "alice", "password": PASSWORD})
    problem(cookie, 429, "rate-limited")
    assert api.count("auth_sessions") == 0


def test_registration_is_rate_limited_per_client(engine: Engine, clock: Clock) -> None:
    api = limited_api(engine, clock)
    for n in range(3):
        r = api.post("/v1/accounts", json={"username": f"user{n}", "password": "weak"})
        problem(r, 400, "weak-password")
    problem(api.post("/v1/accounts", json={"username": "user9", "password": "weak"}), 429)


def test_joining_is_rate_limited_per_account(engine: Engine, clock: Clock) -> None:
    api = limited_api(engine, clock)
    alice = api.member("alice", plan=None)
    bob = api.member("bob", plan=None)
    assert api.join(alice, PLAN).status_code == 201
    assert api.join(alice, "meituan-huzhu").status_code == 201
    problem(api.join(alice, "xiaomi-huzhu"), 429, "rate-limited")
    assert api.count("memberships") == 2
    # another account has its own allowance
    assert api.join(bob, "xiaomi-huzhu").status_code == 201
