"""The built-in sandbox gateway: a pretend bank that behaves like a real one, deterministically.

- Failures are injected by a hash of (seed, ref, membership id) against a failure rate, so the same
  run always fails the same members, and a retry (a new ref) can succeed.
- What it was asked to do is kept in `sandbox_requests`, in huzhu's own database, so that the CLI
  and the server, separate processes, share one sandbox bank. Outcomes are decided when an
  instruction arrives and stored with it.
- Callbacks are sent late (after `delay`), asynchronously (by `pump`, which `huzhu serve` runs in a
  thread and the CLI and tests call explicitly), some more than once (seeded duplicates, sent again
  one delay later), and in a shuffled order.
- Delivery is at least once: a callback counts as sent only once huzhu has answered it, so a pump
  killed at any moment loses nothing; the next pump sends whatever was not answered (which may
  repeat one huzhu had already applied: receiving callbacks is idempotent).
- Callbacks are signed with HMAC-SHA256 of the body under a secret: `HUZHU_SANDBOX_GATEWAY_SECRET`
  when set (at least 32 characters, never a published default), otherwise the random one this
  database was given when it was created (`instance_secrets`, migration 0008).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from huzhu.domain.money import Fen
from huzhu.domain.plan_fields import CHINA_TZ
from huzhu.gateways.base import (
    DEBIT_SETTLED,
    PAYOUT_FAILED,
    PAYOUT_PAID,
    DebitItem,
    PayoutItem,
    StatementLine,
)
from huzhu.gateways.sandbox_config import SandboxConfig, check_secret
from huzhu.storage.repositories.accounts.secrets import SANDBOX_GATEWAY, SecretRepository
from huzhu.storage.tables_money import sandbox_requests

REASONS = ("insufficient-funds", "account-frozen", "card-expired", "limit-exceeded")
# Like a real gateway, the sandbox stops sending a callback nobody accepted after a while.
GIVE_UP_AFTER = timedelta(days=7)
# deliver(body, signature) -> the HTTP status huzhu answered; 5xx (or an exception) is retried.
Deliver = Callable[[bytes, str], int]


def _bucket(*parts: object, of: int = 10_000) -> int:
    """A deterministic whole number in [0, of) from the parts."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") * of >> 64


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), CHINA_TZ)
    return start, start + timedelta(days=1)


class SandboxGateway:
    name = "sandbox"
    signature_header = "Sandbox-Signature"

    def __init__(self, bind: Connection | Engine, config: SandboxConfig | None = None) -> None:
        self.bind = bind
        self.config = config or SandboxConfig.from_env()
        self._secret = check_secret(self.config.secret) if self.config.secret else None

    @contextmanager
    def _conn(self) -> Iterator[Connection]:
        if isinstance(self.bind, Connection):
            yield self.bind
        else:
            with self.bind.begin() as conn:
                yield conn

    # -- instructions -------------------------------------------------------------------------

    def _store(
        self,
        conn: Connection,
        ref: str,
        kind: str,
        amount: Fen,
        payload: dict[str, Any],
        now: datetime,
    ) -> None:
        payload["copies"] = self._copies(ref)
        payload["event_id"] = self._event_id(ref)
        conn.execute(
            insert(sandbox_requests).values(
                ref=ref,
                kind=kind,
                payload=payload,
                amount=amount,
                submitted_at=now,
                callbacks_sent=0,
            )
        )

    def _known(self, conn: Connection, ref: str) -> bool:
        return (
            conn.scalar(select(sandbox_requests.c.ref).where(sandbox_requests.c.ref == ref))
            is not None
        )

    def _fails(self, ref: str, membership_id: int) -> bool:
        if membership_id in self.config.fail_members:
            return True
        return _bucket(self.config.seed, ref, membership_id) < self.config.failure_bp

    def submit_debits(self, ref: str, items: Sequence[DebitItem], now: datetime) -> None:
        with self._conn() as conn:
            if self._known(conn, ref):
                return  # a resubmitted instruction: the bank ignores it
            failed = [
                [
                    i.membership_id,
                    i.amount,
                    REASONS[_bucket(ref, i.membership_id, of=len(REASONS))],
                ]
                for i in items
                if self._fails(ref, i.membership_id)
            ]
            total = sum(i.amount for i in items)
            collected = total - sum(i.amount for i in items if self._fails(ref, i.membership_id))
            payload = {
                "total": total,
                "collected": collected,
                "items": len(items),
                "failed": failed,
            }
            self._store(conn, ref, "debit", total, payload, now)

    def submit_payout(self, ref: str, membership_id: int, amount: Fen, now: datetime) -> None:
        with self._conn() as conn:
            if self._known(conn, ref):
                return
            paid = _bucket(self.config.seed, ref, "payout") >= self.config.payout_failure_bp
            payload = {
                "membership_id": membership_id,
                "paid": paid,
                "reason": None if paid else "account-invalid",
            }
            self._store(conn, ref, "payout", amount, payload, now)

    def submit_payouts(self, items: Sequence[PayoutItem], now: datetime) -> None:
        with self._conn() as conn:
            refs = [i.ref for i in items]
            known: set[str] = set()
            for start in range(0, len(refs), 5000):
                chunk = refs[start : start + 5000]
                q = select(sandbox_requests.c.ref).where(sandbox_requests.c.ref.in_(chunk))
                known.update(conn.scalars(q))
            rows = []
            for i in items:
                if i.ref in known:
                    continue
                known.add(i.ref)
                paid = _bucket(self.config.seed, i.ref, "payout") >= self.config.payout_failure_bp
                payload = {
                    "membership_id": i.membership_id,
                    "paid": paid,
                    "reason": None if paid else "account-invalid",
                    "copies": self._copies(i.ref),
                    "event_id": self._event_id(i.ref),
                }
                row = {"ref": i.ref, "kind": "payout", "payload": payload, "amount": i.amount}
                rows.append(row | {"submitted_at": now, "callbacks_sent": 0})
            if rows:
                conn.execute(insert(sandbox_requests), rows)

    def _copies(self, ref: str) -> int:
        return 2 if _bucket(self.config.seed, ref, "dup") < self.config.duplicate_bp else 1

    def _event_id(self, ref: str) -> str:
        return "sbx-" + hashlib.sha256(f"{self.config.seed}|{ref}".encode()).hexdigest()[:24]

    # -- callbacks ----------------------------------------------------------------------------

    @property
    def secret(self) -> str:
        """The configured secret, or else this database's own (read once, when first needed)."""
        if self._secret is None:
            with self._conn() as conn:
                self._secret = SecretRepository(conn).get(SANDBOX_GATEWAY)
        return self._secret

    def sign(self, body: bytes) -> str:
        return hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()

    def verify(self, body: bytes, signature: str) -> bool:
        return hmac.compare_digest(self.sign(body), signature or "")

    @staticmethod
    def _event(row: Any) -> dict[str, Any]:
        p = row.payload
        if row.kind == "debit":
            return {
                "event_id": p["event_id"],
                "type": DEBIT_SETTLED,
                "ref": row.ref,
                "total": p["total"],
                "collected": p["collected"],
                "failed": [
                    {"membership_id": m, "amount": a, "reason": r} for m, a, r in p["failed"]
                ],
            }
        return {
            "event_id": p["event_id"],
            "type": PAYOUT_PAID if p["paid"] else PAYOUT_FAILED,
            "ref": row.ref,
            "amount": int(row.amount),
            "reason": p["reason"],
        }

    def body(self, event: dict[str, Any]) -> bytes:
        return json.dumps(event, separators=(",", ":"), sort_keys=True).encode()

    def _due(self, conn: Connection, now: datetime, limit: int) -> list[Any]:
        """The callbacks due by `now`: each request's next copy, once its delay has passed."""
        return [
            r
            for r in conn.execute(
                select(sandbox_requests)
                .where(
                    sandbox_requests.c.callbacks_sent < 2,
                    sandbox_requests.c.submitted_at >= now - GIVE_UP_AFTER,
                )
                .order_by(sandbox_requests.c.submitted_at, sandbox_requests.c.ref)
            )
            if r.callbacks_sent < r.payload.get("copies", 1)
            and r.submitted_at + self.config.delay * (r.callbacks_sent + 1) <= now
        ][:limit]

    def upcoming(self, now: datetime) -> tuple[int, datetime | None]:
        """Callbacks not due yet: how many, and when the first of them is (for the CLI's hint)."""
        with self._conn() as conn:
            rows = conn.execute(
                select(sandbox_requests).where(
                    sandbox_requests.c.callbacks_sent < 2,
                    sandbox_requests.c.submitted_at >= now - GIVE_UP_AFTER,
                )
            ).all()
        times = [
            r.submitted_at + self.config.delay * (r.callbacks_sent + 1)
            for r in rows
            if r.callbacks_sent < r.payload.get("copies", 1)
        ]
        later = [t for t in times if t > now]
        return len(later), min(later, default=None)

    def pump(self, now: datetime, deliver: Deliver, *, limit: int = 1000) -> int:
        """Send every callback that is due by `now`, shuffled; returns how many were accepted.

        Delivery is at least once: a copy counts as sent only after huzhu has answered it, so a
        pump that dies at any moment (kill -9 included) leaves every unanswered callback due, and
        the next pump sends it. huzhu may then receive a callback once more than intended (it was
        applied, but the pump died before noting the answer; or two pumps ran at once), which it
        must and does treat as a duplicate. An answer of 5xx (or none) is sent again at the next
        pump, for up to GIVE_UP_AFTER; any other answer is final. Give the gateway an Engine:
        delivery runs its own transactions, and no lock is held while huzhu handles a callback.
        """
        with self._conn() as conn:
            rows = self._due(conn, now, limit)
        random.Random(f"{self.config.seed}|{now.isoformat()}").shuffle(rows)
        accepted = 0
        for r in rows:
            body = self.body(self._event(r))
            try:
                status = deliver(body, self.sign(body))
            except Exception:  # the bank retries on any failure to deliver
                status = 599
            if status >= 500:
                continue  # not noted as sent: still due at the next pump
            # Only now is the copy sent. Compare-and-set: when another pump noted this copy
            # first, this changes nothing (huzhu has merely seen the copy twice).
            with self._conn() as conn:
                conn.execute(
                    update(sandbox_requests)
                    .where(
                        sandbox_requests.c.ref == r.ref,
                        sandbox_requests.c.callbacks_sent == r.callbacks_sent,
                    )
                    .values(callbacks_sent=r.callbacks_sent + 1)
                )
            accepted += 200 <= status < 300
        return accepted

    # -- statements ---------------------------------------------------------------------------

    def statement(self, day: date) -> list[StatementLine]:
        start, end = _day_bounds(day)
        with self._conn() as conn:
            rows = conn.execute(
                select(sandbox_requests)
                .where(
                    sandbox_requests.c.submitted_at >= start, sandbox_requests.c.submitted_at < end
                )
                .order_by(sandbox_requests.c.ref)
            )
            lines = []
            for r in rows:
                p = r.payload
                moved = p["collected"] if r.kind == "debit" else (int(r.amount) if p["paid"] else 0)
                moved += p.get("adjust", 0)
                if moved:
                    lines.append(StatementLine(r.ref, r.kind, int(moved)))
            return lines

    def inject_statement_error(self, ref: str, delta: Fen) -> None:
        """Make the bank's statement disagree with what it reported (for reconciliation drills)."""
        with self._conn() as conn:
            row = conn.execute(select(sandbox_requests).where(sandbox_requests.c.ref == ref)).one()
            payload = dict(row.payload)
            payload["adjust"] = payload.get("adjust", 0) + delta
            conn.execute(
                update(sandbox_requests)
                .where(sandbox_requests.c.ref == ref)
                .values(payload=payload)
            )
