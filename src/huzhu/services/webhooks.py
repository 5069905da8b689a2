"""Delivering webhook events to host apps: signed, retried with backoff, every attempt logged.

Each request carries `Huzhu-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` made
with the host app's webhook secret, and `Huzhu-Event-Id`, so a host app can verify the sender and
drop duplicates. A delivery counts when the host app answers 2xx within the timeout.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine

from huzhu.storage.uow import UnitOfWork

# After each failed attempt, wait this long; after the last, the event is marked failed.
BACKOFF = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(hours=24),
)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str, header: str, body: bytes, *, tolerance_s: int = 300, now: int | None = None
) -> bool:
    """What a host app runs on receipt (shipped for host apps written in Python, and for tests)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or int(time.time())) - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def _body(event: Any) -> bytes:
    doc = {
        "id": event.id,
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def deliver_due(engine: Engine, client: httpx.Client, now: datetime, *, batch: int = 100) -> int:
    """Try every event that is due; returns how many were delivered."""
    delivered = 0
    with UnitOfWork(engine) as uow:
        events = uow.webhooks.due(now, batch)
        for event in events:
            app = uow.accounts.host_app(event.host_app_id)
            attempt = event.attempts + 1
            body = _body(event)
            started = time.perf_counter()
            status: int | None = None
            error: str | None = None
            try:
                response = client.post(
                    app.webhook_url or "",
                    content=body,
                    headers={
                        "Content-Type": "application/json",
                        "Huzhu-Event-Id": str(event.id),
                        "Huzhu-Signature": sign(app.webhook_secret, int(now.timestamp()), body),
                    },
                )
                status = response.status_code
                ok = 200 <= status < 300
                if not ok:
                    error = f"HTTP {status}"
            except httpx.HTTPError as e:
                ok = False
                error = f"{type(e).__name__}: {e}"[:500]
            elapsed = int((time.perf_counter() - started) * 1000)
            retry = None if ok or attempt > len(BACKOFF) else now + BACKOFF[attempt - 1]
            uow.webhooks.record_attempt(
                event.id, attempt, now, status, error, elapsed, delivered=ok, next_attempt_at=retry
            )
            delivered += ok
        uow.commit()
    return delivered
