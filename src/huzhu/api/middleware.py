"""Refuse oversized bodies (413) and bodies that are not JSON (415) before any endpoint runs.

Upload routes (`uploads`: a path pattern and its own size limit) take raw bytes instead of JSON;
the endpoint checks what the bytes are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from huzhu.api.problems import MEDIA, TITLES

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


async def _problem(send: Send, status: int, code: str, detail: str) -> None:
    body = json.dumps(
        {
            "type": f"urn:huzhu:problem:{code}",
            "title": TITLES[status],
            "status": status,
            "detail": detail,
            "code": code,
            "field": None,
            "violations": [],
        }
    ).encode()
    headers = [(b"content-type", MEDIA.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyGuard:
    def __init__(
        self, app: ASGIApp, max_bytes: int, uploads: Sequence[tuple[str, int]] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = [(re.compile(pattern), limit) for pattern, limit in uploads]

    def _limit(self, path: str) -> tuple[int, bool]:
        """(the body limit, whether raw bytes are accepted) for a request path."""
        for pattern, limit in self.uploads:
            if pattern.match(path):
                return limit, True
        return self.max_bytes, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        limit, upload = self._limit(scope.get("path", ""))
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self._too_large(send, limit)
            return
        has_body = length not in (None, "0") or "transfer-encoding" in headers
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if has_body and not upload and media != "application/json":
            await _problem(send, 415, "unsupported-media-type", "send the body as application/json")
            return
        # Read the whole (small) body here, counting, so that a chunked body without a
        # Content-Length is refused with 413 too: an error raised from inside the endpoint's read
        # would be turned into a 400 by the framework.
        chunks: list[bytes] = []
        received = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                await self._too_large(send, limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send, limit: int) -> None:
        await _problem(send, 413, "body-too-large", f"bodies are limited to {limit} bytes")
