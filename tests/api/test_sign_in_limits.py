"""Sign-in limits against spoofed addresses, password spraying and botnets, without locking the
real member out (issue 10, section 4, "Rate limits")."""

from __future__ import annotations

from datetime import timedelta

import httpx
from apikit import PASSWORD, TTL, Api, Clock, frozen_limits, live_server, problem, with_password
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.requests import Request

from huzhu.api.client_address import client_address
from huzhu.api.settings import Settings
from huzhu.cli.server import UVICORN_OPTIONS

PROXY = "10.0.0.1"


def limited(**rules: str) -> Settings:
    """Settings whose sign-in limits are generous, but for `rules`."""
    return Settings(
        session_ttl_minutes=TTL // timedelta(minutes=1),
        cookie_secure=False,
        sign_in_limit="1000/minute",
        sign_in_address_limit="1000/minute",
    ).model_copy(update=rules)


def behind_proxy(api: Api) -> TestClient:
    """A client whose every request arrives from the reverse proxy at PROXY."""
    return TestClient(api.app, client=(PROXY, 40000), raise_server_exceptions=False)


def sign_in(client: TestClient | httpx.Client, password: str, via: str | None = None) -> int:
    headers = {"X-Forwarded-For": via} if via else {}
    body = {"username": "alice", "password": password}
    return client.post("/v1/auth/token", json=body, headers=headers).status_code


def _request(peer: str, forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 1), "headers": headers})


def test_the_forwarded_header_counts_only_from_a_trusted_proxy() -> None:
    assert client_address(_request("198.51.100.9", "1.2.3.4")) == "198.51.100.9"
    assert client_address(_request("198.51.100.9", "1.2.3.4"), ("10.0.0.0/8",)) == "198.51.100.9"
    # the right-most address no trusted proxy wrote is the client; what it wrote itself is not
    trusted = ("10.0.0.0/8",)
    assert client_address(_request(PROXY, "1.2.3.4"), trusted) == "1.2.3.4"
    assert client_address(_request(PROXY, "6.6.6.6, 1.2.3.4"), trusted) == "1.2.3.4"
    assert client_address(_request(PROXY, "1.2.3.4, 10.0.0.2"), trusted) == "1.2.3.4"
    assert client_address(_request(PROXY, None), trusted) == PROXY


def test_a_made_up_forwarded_header_does_not_buy_more_guesses(engine: Engine, clock: Clock) -> None:
    """Served as `huzhu serve` serves it: before, uvicorn believed X-Forwarded-For from loopback."""
    api = frozen_limits(Api(engine, clock, limited(sign_in_limit="3/minute"), install_plans=False))
    with_password(api, "alice")
    with live_server(api.app, **UVICORN_OPTIONS) as base, httpx.Client(base_url=base) as client:
        answers = [sign_in(client, "wrong-guess", via=f"203.0.113.{n}") for n in range(5)]
    assert answers == [401, 401, 401, 429, 429]


def test_spraying_many_usernames_from_one_address_is_limited(engine: Engine, clock: Clock) -> None:
    api = frozen_limits(
        Api(engine, clock, limited(sign_in_address_limit="5/minute"), install_plans=False)
    )
    answers = [
        api.post("/v1/auth/token", json={"username": f"user{n}", "password": "Summer2026!"})
        for n in range(7)
    ]
    assert [r.status_code for r in answers] == [401] * 5 + [429] * 2


def test_many_addresses_guessing_one_account_do_not_lock_its_member_out(
    engine: Engine, clock: Clock
) -> None:
    settings = limited(sign_in_user_limit="5/hour").model_copy(
        update={"trusted_proxies": ("10.0.0.0/8",)}
    )
    api = frozen_limits(Api(engine, clock, settings, install_plans=False))
    with_password(api, "alice")
    client = behind_proxy(api)
    home = "198.51.100.20"
    assert sign_in(client, PASSWORD, via=home) == 200  # the member, at home
    botnet = [sign_in(client, f"guess-{n}", via=f"203.0.113.{n}") for n in range(8)]
    assert botnet == [401] * 5 + [429] * 3
    # a new address is refused, right password or not, until the window slides ...
    problem(
        client.post(
            "/v1/auth/token",
            json={"username": "ALICE", "password": PASSWORD},
            headers={"X-Forwarded-For": "192.0.2.77"},
        ),
        429,
        "rate-limited",
    )
    # ... but the member at home still signs in
    assert sign_in(client, PASSWORD, via=home) == 200
    client.close()
