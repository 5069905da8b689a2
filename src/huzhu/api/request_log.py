"""One log line per request, with no personal data in it.

Each request is logged once it is answered, on the `huzhu.request` logger: the method, the route
template (`/v1/memberships/{membership_id}/statement`, never the filled-in path, so no ID number or
name that a path or query string might carry is written), the status and the time taken. The
client's address, headers, query string and bodies are never logged.

Plain text by default:

    2026-12-07T02:52:01Z GET /v1/plans/{plan_id} 200 3.1ms

or one JSON object per line with `HUZHU_LOG_FORMAT=json`:

    {"at": "2026-12-07T02:52:01Z", "event": "request", "method": "GET",
     "route": "/v1/plans/{plan_id}", "status": 200, "duration_ms": 3.1}

Fields can be added (a request id, say) by extending `fields()`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("huzhu.request")
UNMATCHED = "(no route)"


def log_format() -> str:
    return "json" if os.environ.get("HUZHU_LOG_FORMAT", "").lower() == "json" else "text"


def route_of(scope: Scope) -> str:
    """The matched route's template; a path that matched no route is not echoed back."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else UNMATCHED


def fields(scope: Scope, status: int, started: float) -> dict[str, Any]:
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "event": "request",
        "method": scope.get("method", ""),
        "route": route_of(scope),
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def render(entry: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(entry, ensure_ascii=False)
    return (
        f"{entry['at']} {entry['method']} {entry['route']} {entry['status']} "
        f"{entry['duration_ms']}ms"
    )


def _ensure_handler() -> None:
    """Requests are logged to stderr unless the host configured the logger itself."""
    if logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


class RequestLog:
    def __init__(self, app: ASGIApp, fmt: str | None = None) -> None:
        self.app = app
        self.fmt = fmt or log_format()
        _ensure_handler()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees when the app fails before answering

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            logger.info(render(fields(scope, status, started), self.fmt))
