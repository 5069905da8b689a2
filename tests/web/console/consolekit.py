"""Builders for the console's page tests: the API's test app and world, and a browser-like client
per account holding its cookie session and CSRF token."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "api"))

from apikit import NOW, ROUND_DAY, TTL, Api, Clock, User, World, build_world

from huzhu.api.deps import CSRF_COOKIE, SESSION_COOKIE
from huzhu.services.accounts.service import open_session
from huzhu.storage.uow import UnitOfWork

__all__ = ["NOW", "ROUND_DAY", "Api", "Browser", "Clock", "User", "World", "browser", "build_world"]


@dataclass
class Browser:
    """One account's browser: cookies of a web sign-in, forms posted with the CSRF token."""

    client: TestClient
    csrf: str

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.get(path, follow_redirects=False, **kw)

    def post(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        form = {"csrf": self.csrf, **(data or {})}
        return self.client.post(path, data=form, follow_redirects=False)


def browser(api: Api, user: User | None) -> Browser:
    client = TestClient(api.app, raise_server_exceptions=True)
    client.headers["Accept-Language"] = "en"
    if user is None:
        return Browser(client, "")
    with UnitOfWork(api.engine) as uow:
        issued = open_session(uow, user.account_id, api.clock(), cookie=True, ttl=TTL)
        uow.commit()
    assert issued.csrf_token is not None
    client.cookies.set(SESSION_COOKIE, issued.token)
    client.cookies.set(CSRF_COOKIE, issued.csrf_token)
    return Browser(client, issued.csrf_token)
