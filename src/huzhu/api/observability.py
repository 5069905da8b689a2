"""One log line and one latency sample per request, and a request id that ties them together.

Each request gets an id: the caller's `X-Request-Id` when it is a short token, else a new one. It
is returned in the `X-Request-Id` header and, on an error, as the problem's `instance`
(`urn:huzhu:request:<id>`), so an operator can find the log line of a refusal a user reports.

The log line names the route template (`/v1/memberships/{membership_id}`), never the raw path or
query string, and no header or body: no personal data reaches the logs. `HUZHU_LOG_FORMAT=json`
writes each line as one JSON object.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from huzhu import metrics
from huzhu.api.problems import MEDIA

log = logging.getLogger("huzhu.requests")
HEADER = b"x-request-id"
GOOD_ID = re.compile(rb"^[A-Za-z0-9._-]{8,64}$")
# Fields of a LogRecord that are not extra data.
_RECORD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        doc.update({k: v for k, v in vars(record).items() if k not in _RECORD})
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False, default=str)


def configure_logging(log_format: str) -> None:
    """huzhu's loggers write INFO and up to stderr, as text or JSON (once per process)."""
    root = logging.getLogger("huzhu")
    if any(getattr(h, "huzhu", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.huzhu = True  # type: ignore[attr-defined]
    handler.setFormatter(
        JsonFormatter()
        if log_format == "json"
        else logging.Formatter("%(levelname)s %(name)s %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False


def _route(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else "unmatched"


class RequestLog:
    """Pure ASGI middleware (no extra task per request, unlike BaseHTTPMiddleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or ()).get(HEADER, b"")
        request_id = given.decode() if GOOD_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        problem = False
        held: list[Message] = []

        async def sending(message: Message) -> None:
            nonlocal status, problem
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k != HEADER]
                headers.append((HEADER, request_id.encode()))
                message = {**message, "headers": headers}
                problem = any(k == b"content-type" and v == MEDIA.encode() for k, v in headers)
                if problem:  # the body gets the instance; hold the start until it is known
                    held.append(message)
                    return
            elif message["type"] == "http.response.body" and problem:
                held.append(message)
                if message.get("more_body"):
                    return
                await _send_with_instance(send, held, request_id)
                return
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            elapsed = time.perf_counter() - started
            route = _route(scope)
            metrics.REQUEST_SECONDS.labels(route, scope["method"], f"{status // 100}xx").observe(
                elapsed
            )
            log.info(
                "%s %s %d %.1fms",
                scope["method"], route, status, elapsed * 1000,
                extra={"request_id": request_id, "method": scope["method"], "route": route,
                       "status": status, "duration_ms": round(elapsed * 1000, 1)},
            )  # fmt: skip


async def _send_with_instance(send: Send, held: list[Message], request_id: str) -> None:
    start, body = held[0], b"".join(m.get("body", b"") for m in held[1:])
    try:
        doc = json.loads(body)
        doc["instance"] = f"urn:huzhu:request:{request_id}"
        body = json.dumps(doc, ensure_ascii=False).encode()
    except (ValueError, TypeError):
        pass  # not the document we expected: pass it on as it was
    headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})
