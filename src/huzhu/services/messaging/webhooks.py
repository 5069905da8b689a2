"""Delivering webhook events to host apps, in the Standard Webhooks format.

Each request carries `webhook-id` (the event id, the same on every retry, for dropping duplicates),
`webhook-timestamp` (unix seconds, taken when the request is sent) and `webhook-signature`: one
`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` per secret in force, space separated, so a
host app can rotate its secret without losing events. Secrets are `whsec_<base64>`; any Standard
Webhooks library verifies them (`standardwebhooks` for Python).

A pass runs in three steps so that no database transaction waits on a host app:
1. take: in one short transaction, pick due events (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so
   processes never pick the same ones) and lease them (`next_attempt_at` moves `LEASE` ahead), then
   commit; a sender that dies leaves its events to be taken again when the lease ends;
2. send: concurrently on a bounded pool, outside any transaction, each signed as it leaves;
3. record: every attempt and the next retry (`BACKOFF`) in one new transaction.
A delivery counts when the host app answers 2xx within the timeout.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine
from standardwebhooks.webhooks import Webhook

from huzhu import metrics
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
# How long a taken event belongs to the pass that took it: well past the longest timeout.
LEASE = timedelta(minutes=5)
# After a rotation, events are signed with the old secret too for this long.
ROTATION_OVERLAP = timedelta(hours=24)

Clock = Callable[[], datetime]


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _signer(secret: str) -> Webhook:
    # Host apps made before the Standard Webhooks format hold a plain secret: its bytes are the key.
    return Webhook(secret) if secret.startswith("whsec_") else Webhook(secret.encode())


def signature(secrets_in_force: Sequence[str], msg_id: str, at: datetime, body: bytes) -> str:
    return " ".join(_signer(s).sign(msg_id, at, body) for s in secrets_in_force)


def headers(
    secrets_in_force: Sequence[str], msg_id: str, at: datetime, body: bytes
) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature(secrets_in_force, msg_id, at, body),
    }


def body(event: Any) -> bytes:
    doc = {
        "id": event.id,
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


@dataclass(frozen=True)
class Outbound:
    event_id: int
    type: str
    attempt: int
    url: str
    secrets: tuple[str, ...]
    body: bytes


@dataclass(frozen=True)
class Outcome:
    event_id: int
    type: str
    attempt: int
    status: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def take_due(engine: Engine, now: datetime, batch: int) -> list[Outbound]:
    """Step 1: lease up to `batch` due events and commit at once."""
    with UnitOfWork(engine) as uow:
        events = uow.webhooks.take_due(now, batch, lease_until=now + LEASE)
        apps = {e.host_app_id: uow.accounts.host_app(e.host_app_id) for e in events}
        uow.commit()
    out = []
    for event in events:
        app = apps[event.host_app_id]
        in_force = [app.webhook_secret]
        previous, until = app.webhook_secret_previous, app.webhook_secret_previous_until
        if previous and until and until > now:
            in_force.append(previous)
        out.append(
            Outbound(
                event.id, event.type, event.attempts + 1, app.webhook_url or "",
                tuple(in_force), body(event),
            )
        )  # fmt: skip
    return out


def send(client: httpx.Client, item: Outbound, clock: Clock) -> Outcome:
    """Step 2, one event: signed now, posted, never raises."""
    started = time.perf_counter()
    status: int | None = None
    error: str | None = None
    try:
        response = client.post(
            item.url,
            content=item.body,
            headers=headers(item.secrets, str(item.event_id), clock(), item.body),
        )
        status = response.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except httpx.HTTPError as e:
        error = f"{type(e).__name__}: {e}"[:500]
    elapsed = int((time.perf_counter() - started) * 1000)
    return Outcome(item.event_id, item.type, item.attempt, status, error, elapsed)


def record(engine: Engine, outcomes: Sequence[Outcome], now: datetime) -> None:
    """Step 3: every attempt, and when to try again, in one transaction."""
    with UnitOfWork(engine) as uow:
        for o in outcomes:
            retry = None if o.ok or o.attempt > len(BACKOFF) else now + BACKOFF[o.attempt - 1]
            uow.webhooks.record_attempt(
                o.event_id, o.attempt, now, o.status, o.error, o.duration_ms,
                delivered=o.ok, next_attempt_at=retry,
            )  # fmt: skip
        uow.commit()


def deliver_due(
    engine: Engine,
    client: httpx.Client,
    now: datetime,
    *,
    batch: int = 100,
    concurrency: int = 16,
    clock: Clock | None = None,
    observe: Callable[[Sequence[Outcome]], None] | None = None,
) -> int:
    """One pass over the events due at `now`; returns how many were delivered. `clock` gives the
    signing time (default: the wall clock, which is what host apps check it against)."""
    items = take_due(engine, now, batch)
    if not items:
        return 0
    sign_clock = clock or (lambda: datetime.now(UTC))
    with ThreadPoolExecutor(max_workers=min(concurrency, len(items))) as pool:
        outcomes = list(pool.map(lambda item: send(client, item, sign_clock), items))
    record(engine, outcomes, now)
    for o in outcomes:
        metrics.WEBHOOK_DELIVERIES.labels(metrics.webhook_outcome(o.status)).inc()
    if observe is not None:
        observe(outcomes)
    return sum(o.ok for o in outcomes)


def verify(secret: str, received_headers: dict[str, str], payload: bytes) -> Any:
    """What a host app written in Python runs on receipt: the parsed event, or
    `standardwebhooks.webhooks.WebhookVerificationError`."""
    return _signer(secret).verify(payload, received_headers)
