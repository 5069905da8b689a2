"""Builders for the web page tests: the app on the test `engine` with a Clock, browsers that are
signed in with a cookie session, and form posts that carry the CSRF token like a real page.

The world is the API tests' world (tests/api/apikit.py): the same members, claims and round, made
through the API, so that what a page shows is checked against what the API did.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi.testclient import TestClient

from api.apikit import FAST, NOW, Api, Clock, User, World, build_world
from huzhu.api.deps import CSRF_COOKIE, SESSION_COOKIE
from huzhu.services.accounts.service import open_session
from huzhu.storage.uow import UnitOfWork

__all__ = ["FAST", "NOW", "Api", "Clock", "Web", "World", "build_world"]

PDF = b"%PDF-1.4\n% a diagnosis report\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


class Web:
    """Browsers on the app: a visitor, or a member signed in with the portal's cookie session."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def browser(self, lang: str | None = None, base_url: str = "http://testserver") -> TestClient:
        headers = {"Accept-Language": "en"} if lang == "en" else {}
        return TestClient(
            self.api.app,
            base_url=base_url,
            headers=headers,
            follow_redirects=False,
            raise_server_exceptions=True,
        )

    def signed_in(self, user: User, lang: str | None = None) -> TestClient:
        with UnitOfWork(self.api.engine) as uow:
            issued = open_session(
                uow,
                user.account_id,
                self.api.clock(),
                cookie=True,
                ttl=self.api.app.state.settings.session_ttl,
            )
            uow.commit()
        client = self.browser(lang)
        client.cookies.set(SESSION_COOKIE, issued.token)
        client.cookies.set(CSRF_COOKIE, issued.csrf_token or "")
        return client

    @staticmethod
    def post(
        client: TestClient, path: str, data: dict[str, Any] | None = None, **kw: Any
    ) -> httpx.Response:
        """A form post as the page sends it: with the CSRF token from the browser's cookie."""
        token = client.cookies.get(CSRF_COOKIE)
        if token is None:  # a first visit: the page hands the browser its token
            page = client.get("/me/sign-in")
            found = CSRF_FIELD.search(page.text)
            assert found is not None, page.text
            token = found.group(1)
        return client.post(path, data={"csrf": token, **(data or {})}, **kw)


def text_of(response: httpx.Response) -> str:
    """The page's text without tags, whitespace collapsed, for phrase checks."""
    body = re.sub(r"<script.*?</script>", " ", response.text, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))
