"""Headers on every response: no MIME sniffing, no framing, no caching of personal answers.

The API answers JSON, so its policy allows nothing to load (`default-src 'none'`) and no page to
frame it (`frame-ancestors 'none'`, with `X-Frame-Options` for older browsers). A response that
sets its own Content-Security-Policy (the docs page, which runs its own scripts) keeps it.

`Cache-Control: no-store` goes on every answer to a request that carries credentials (a bearer
token or the session cookie) and on every answer of the sign-in, account and /v1/me routes: a
shared cache or the browser's back button must not keep a token, an identity or a balance. Public
answers (plans, the public record) stay cacheable.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PERSONAL_PREFIXES = ("/v1/auth/", "/v1/accounts", "/v1/me")


def _carries_credentials(scope: Scope, session_cookie: str) -> bool:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return True
        if name == b"cookie" and f"{session_cookie}=".encode() in value:
            return True
    return False


class SecurityHeaders:
    def __init__(self, app: ASGIApp, session_cookie: str) -> None:
        self.app = app
        self.session_cookie = session_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        personal = path.startswith(PERSONAL_PREFIXES) or _carries_credentials(
            scope, self.session_cookie
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "no-referrer"
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = API_POLICY
                if personal and "no-store" not in headers.get("cache-control", ""):
                    headers["Cache-Control"] = "no-store"  # a page's own `private, no-store` stays
            await send(message)

        await self.app(scope, receive, send_with_headers)
