"""huzhu's web pages: public transparency pages at `/`, the member portal at `/me`.

Server-rendered HTML that works without JavaScript. Pages call the same services as the API;
`install(app)` adds them to the API's application, sharing its engine, clock and settings.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from huzhu.services.claims.evidence import MAX_BYTES
from huzhu.services.plans.figures import Headcounts
from huzhu.web.console import ROUTERS as CONSOLE
from huzhu.web.console.jobs import Jobs
from huzhu.web.errors import error_page
from huzhu.web.portal import ROUTERS

STATIC = Path(__file__).parent / "static"
API_PATHS = ("/v1/", "/docs", "/redoc", "/openapi.json")
# Pages post forms, not JSON: the API's body guard lets these paths through with their limits.
BODIES = (
    (r"^/me/claims/(new|[0-9]+/evidence)$", MAX_BYTES + 64 * 1024),
    (r"^/(?!v1/)", 64 * 1024),
)

# Scripts and styles come from our own files only: no inline script, no CDN.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


async def security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    if response.headers.get("content-type", "").startswith("text/html"):
        # A page that sets its own policy (the API docs allow their one script by hash) keeps it.
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _for_pages(app: FastAPI, kind: type[Exception]) -> None:
    """Outside the API, an unknown address or a malformed one answers a page, not a problem."""
    api_handler = app.exception_handlers[kind]

    async def handler(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(API_PATHS):
            answer = api_handler(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        if isinstance(exc, StarletteHTTPException) and exc.status_code not in (404, 422):
            return error_page(request, exc.status_code, "http-error", str(exc.detail))
        return error_page(request, 404, "unknown-page", "no such page")

    app.add_exception_handler(kind, handler)


def install(app: FastAPI) -> None:
    """Add the pages to the API's app (after `problems.install`, whose answers stay the API's)."""
    for router in (*ROUTERS, *CONSOLE):
        app.include_router(router)
    app.state.headcounts = Headcounts(app.state.engine)  # refreshed in the background
    app.state.console_jobs = Jobs()
    for kind in (StarletteHTTPException, RequestValidationError):
        _for_pages(app, kind)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.middleware("http")(security_headers)
