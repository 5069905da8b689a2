"""The public record: a hash-chained log of what the operator published.

Announced cases, jury results, round results and plan rule changes are appended here, so that
outsiders can hold the operator to what it said.

Each entry's digest is `chain_digest(prev_digest, canonical_entry(...))` over one global chain;
publishing the newest (seq, digest), the chain head, commits the operator to every entry before it.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Engine

from huzhu.domain.chain import chain_digest
from huzhu.domain.plans import Plan
from huzhu.storage.repositories.record.public_record import LogEntry
from huzhu.storage.repositories.rounds.repository import RoundRecord
from huzhu.storage.uow import UnitOfWork

# The kinds of entry huzhu appends.
PLAN_VERSION = "plan-version"
ROUND_RESULT = "round-result"
ROUND_MERKLE_ROOT = "round-merkle-root"
CASE_ANNOUNCED = "case-announced"
JURY_RESULT = "jury-result"


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in a public record payload; use an aware one")
        return stamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} cannot go into a public record payload")


def normalise_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as JSON will give it back: dates as ISO text, tuples as lists, keys as text."""
    text = json.dumps(payload, default=_json_default, ensure_ascii=False, allow_nan=False)
    normalised: dict[str, Any] = json.loads(text)
    return normalised


def canonical_entry(
    seq: int, at: datetime, kind: str, subject: str, payload: dict[str, Any]
) -> str:
    """The exact text an entry's digest covers (sorted keys, no spaces, UTC microseconds)."""
    return json.dumps(
        [seq, stamp(at), kind, subject, payload],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        allow_nan=False,
    )


def entry_digest(entry: LogEntry) -> str:
    content = canonical_entry(entry.seq, entry.at, entry.kind, entry.subject, entry.payload)
    return chain_digest(entry.prev_digest, content)


def append(
    uow: UnitOfWork, kind: str, subject: str, payload: dict[str, Any], now: datetime
) -> None:
    """Append one entry (kind e.g. "case-announced", subject e.g. "claim:12")."""
    append_entry(uow, kind, subject, payload, now)


def append_entry(
    uow: UnitOfWork, kind: str, subject: str, payload: dict[str, Any], now: datetime
) -> LogEntry:
    """Append one entry and return it (with its seq and digest)."""
    if now.tzinfo is None:
        raise ValueError("naive datetime given to the public record; use an aware one")
    body = normalise_payload(payload)
    seq, prev = uow.public_record.head(for_update=True)
    # The database keeps microseconds in UTC: hash exactly what will be read back.
    at = now.astimezone(UTC)
    digest = chain_digest(prev, canonical_entry(seq + 1, at, kind, subject, body))
    entry = LogEntry(seq + 1, at, kind, subject, body, prev, digest)
    uow.public_record.add_entry(entry)
    return entry


def snapshot_engine(engine: Engine) -> Engine:
    """The engine to verify with: every read of one verification sees the same snapshot."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ")
    return engine  # SQLite transactions here begin IMMEDIATE: nothing commits meanwhile


def chain_head(uow: UnitOfWork) -> tuple[int, str]:
    """(seq, digest) of the newest entry, for each round's public report; (0, 64 zeros) if empty."""
    return uow.public_record.head()


def round_payload(record: RoundRecord) -> dict[str, Any]:
    """The published figures of a round, as the log keeps them."""
    return {
        "round_id": record.id,
        "plan": record.plan_id,
        "announce_date": record.announce_date.isoformat(),
        "lock_at": stamp(record.lock_at),
        "collect_date": record.collect_date.isoformat(),
        "plan_version": record.plan_version,
        **record.figures.as_dict(),
    }


def record_round(uow: UnitOfWork, record: RoundRecord, now: datetime) -> None:
    """Append a round's published figures."""
    append(uow, ROUND_RESULT, f"round:{record.id}", round_payload(record), now)


def record_plan_version(uow: UnitOfWork, plan: Plan, sha256: str, now: datetime) -> None:
    """Append a plan rule change (a new version with its effective date)."""
    append(
        uow,
        PLAN_VERSION,
        f"plan:{plan.id}:v{plan.version}",
        {
            "plan": plan.id,
            "version": plan.version,
            "effective_from": plan.effective_from.isoformat(),
            "sha256": sha256,
        },
        now,
    )
