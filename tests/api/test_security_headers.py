"""Headers on every response, Secure cookies, /docs without a CDN and the OpenAPI security schemes
(issue 10, section 4)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from apikit import PASSWORD, PLAN, Api, Clock, with_password
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine

from huzhu.api.app import create_app
from huzhu.api.settings import Settings, load

PUBLIC = {
    ("get", "/v1/plans"),
    ("get", "/v1/plans/{plan_id}"),
    ("post", "/v1/accounts"),
    ("post", "/v1/auth/token"),
    ("post", "/v1/auth/session"),
    ("post", "/v1/auth/host-assertion"),
    ("get", "/v1/plans/{plan_id}/versions/{version}"),
    ("get", "/v1/plans/{plan_id}/conditions"),
    ("get", "/v1/plans/{plan_id}/rounds"),
    ("get", "/v1/rounds/{round_id}"),
    ("get", "/v1/announcements"),
    ("post", "/v1/gateway/{name}/callbacks"),  # signed by the gateway instead
    ("get", "/livez"),  # health and metrics: for the platform, not for people
    ("get", "/readyz"),
    ("get", "/metrics"),  # a bearer token only when HUZHU_METRICS_TOKEN is set
}


@pytest.fixture(scope="module")
def bare() -> FastAPI:
    """The app on an empty in-memory database: enough for /docs and the OpenAPI document."""
    return create_app(Settings(), create_engine("sqlite://"))


def test_every_answer_has_nosniff_a_policy_and_no_framing(api: Api) -> None:
    alice = api.member("alice")
    answers = [
        api.get(f"/v1/plans/{PLAN}"),
        api.get("/v1/me", alice),
        api.get("/v1/me"),  # a 401 problem
        api.get("/no-such-page"),
        api.post("/v1/accounts", content=b"x", headers={"content-type": "text/plain"}),  # 415
    ]
    for r in answers:
        assert r.headers["x-content-type-options"] == "nosniff", r.url
        policy = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy
        if r.url.path.startswith("/v1/"):
            assert "default-src 'none'" in policy  # the API serves no page
        else:  # a web page (here the not-found page): its own files only, no inline script
            assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert r.headers["x-frame-options"] == "DENY"


def test_personal_and_token_answers_are_not_stored(api: Api) -> None:
    alice = api.member("alice")
    with_password(api, "bob")
    personal = [
        api.get("/v1/me", alice),
        api.get("/v1/me/person", alice),
        api.get(f"/v1/memberships/{alice.memberships[PLAN]}", alice),
        api.post("/v1/auth/token", json={"username": "bob", "password": PASSWORD}),
    ]
    for r in personal:
        assert r.headers.get("cache-control") == "no-store", (r.url, r.status_code)
    public = api.get(f"/v1/plans/{PLAN}")
    assert "no-store" not in public.headers.get("cache-control", "")


def _set_cookie_attributes(api: Api) -> dict[str, set[str]]:
    with_password(api, "carol")
    r = api.post("/v1/auth/session", json={"username": "carol", "password": PASSWORD})
    assert r.status_code == 200, r.text
    found: dict[str, set[str]] = {}
    for line in r.headers.get_list("set-cookie"):
        name, _, rest = line.partition("=")
        found[name] = {part.strip().lower() for part in rest.split(";")[1:]}
    return found


def test_cookies_are_secure_by_default(engine: Engine, clock: Clock) -> None:
    cookies = _set_cookie_attributes(Api(engine, clock, Settings(), install_plans=False))
    assert "secure" in cookies["huzhu_session"] and "secure" in cookies["huzhu_csrf"]


def test_local_development_may_turn_secure_cookies_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUZHU_LOCAL_DEV", "1")
    assert load().cookie_secure is False
    monkeypatch.setenv("HUZHU_COOKIE_SECURE", "1")
    assert load().cookie_secure is True
    monkeypatch.delenv("HUZHU_LOCAL_DEV")
    monkeypatch.delenv("HUZHU_COOKIE_SECURE")
    assert load().cookie_secure is True


# --- /docs offline ---------------------------------------------------------------------------


def test_docs_load_nothing_from_outside_and_their_assets_are_served(bare: FastAPI) -> None:
    with TestClient(bare) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert not re.search(r"(?:https?:)?//", page.text), page.text
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
        for asset in assets:
            r = client.get(asset)
            assert r.status_code == 200 and len(r.content) > 500, asset
        policy = page.headers["content-security-policy"]
        assert "script-src 'self' 'sha256-" in policy and "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy
        assert client.get("/redoc").status_code == 404  # ReDoc would come from a CDN


# --- OpenAPI security schemes ----------------------------------------------------------------


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in {"get", "put", "post", "patch", "delete"}
    ]


def test_openapi_declares_the_bearer_token_and_the_session_cookie(bare: FastAPI) -> None:
    schema = bare.openapi()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["session-cookie"]["in"] == "cookie"
    assert schemes["session-cookie"]["name"] == "huzhu_session"
    assert schemes["csrf-token"] == {**schemes["csrf-token"], "in": "header"}
    me = schema["paths"]["/v1/me"]["get"]["security"]
    assert me == [{"bearer": []}, {"session-cookie": []}]
    person = schema["paths"]["/v1/me/person"]["put"]["security"]
    assert person == [{"bearer": []}, {"session-cookie": [], "csrf-token": []}]
    join = schema["paths"]["/v1/memberships"]["post"]["security"]
    assert {"bearer": []} in join and {} not in join


def test_every_operation_says_how_to_sign_in_unless_it_is_public(bare: FastAPI) -> None:
    schema = bare.openapi()
    missing = [
        (method, path)
        for method, path, op in _operations(schema)
        if "security" not in op and (method, path) not in PUBLIC
    ]
    assert missing == []
    for method, path in PUBLIC:
        assert "security" not in schema["paths"][path][method], (method, path)
