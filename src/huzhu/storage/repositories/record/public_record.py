"""The public record: the global hash-chained log and the live rows it speaks about (the stored
parts of round Merkle trees are in `merkle_trees`)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from huzhu.domain.chain import GENESIS
from huzhu.storage.tables import claims, plan_versions, rounds
from huzhu.storage.tables_record import public_log, public_log_head

HEAD_ID = 1


@dataclass(frozen=True)
class LogEntry:
    seq: int
    at: datetime
    kind: str
    subject: str
    payload: dict[str, Any]
    prev_digest: str
    digest: str


@dataclass(frozen=True)
class PlanVersionRow:
    plan_id: str
    version: int
    effective_from: date
    sha256: str
    document_sha256: str  # recomputed from the stored document


class PublicRecordRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- the log ---------------------------------------------------------------------------

    def head(self, *, for_update: bool = False) -> tuple[int, str]:
        """(seq, digest) of the newest entry; (0, GENESIS) for an empty log."""
        q = select(public_log_head.c.seq, public_log_head.c.digest).where(
            public_log_head.c.id == HEAD_ID
        )
        if for_update:
            self._ensure_head()
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        return (0, GENESIS) if row is None else (int(row.seq), str(row.digest))

    def _ensure_head(self) -> None:
        values = {"id": HEAD_ID, "seq": 0, "digest": GENESIS}
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(
                postgresql.insert(public_log_head).values(**values).on_conflict_do_nothing()
            )
        else:
            self.conn.execute(
                sqlite.insert(public_log_head).values(**values).on_conflict_do_nothing()
            )

    def stored_head(self) -> tuple[int, str] | None:
        row = self.conn.execute(
            select(public_log_head.c.seq, public_log_head.c.digest).where(
                public_log_head.c.id == HEAD_ID
            )
        ).first()
        return None if row is None else (int(row.seq), str(row.digest))

    def add_entry(self, entry: LogEntry) -> None:
        self.conn.execute(
            insert(public_log).values(
                seq=entry.seq,
                at=entry.at,
                kind=entry.kind,
                subject=entry.subject,
                payload=entry.payload,
                prev_digest=entry.prev_digest,
                digest=entry.digest,
            )
        )
        self.conn.execute(
            update(public_log_head)
            .where(public_log_head.c.id == HEAD_ID)
            .values(seq=entry.seq, digest=entry.digest)
        )

    def entries(self, *, after_seq: int = 0, limit: int = 1000) -> list[LogEntry]:
        rows = self.conn.execute(
            select(public_log)
            .where(public_log.c.seq > after_seq)
            .order_by(public_log.c.seq)
            .limit(limit)
        )
        return [_entry(r) for r in rows]

    def all_entries(self, batch: int = 1000) -> Iterator[LogEntry]:
        after = 0
        while True:
            page = self.entries(after_seq=after, limit=batch)
            yield from page
            if len(page) < batch:
                return
            after = page[-1].seq

    def latest(self, kind: str, subject: str) -> LogEntry | None:
        row = self.conn.execute(
            select(public_log)
            .where(public_log.c.kind == kind, public_log.c.subject == subject)
            .order_by(public_log.c.seq.desc())
            .limit(1)
        ).first()
        return _entry(row) if row else None

    # -- live rows the log speaks about ----------------------------------------------------

    def rounds_by_id(self, ids: Sequence[int]) -> dict[int, Any]:
        if not ids:
            return {}
        return {r.id: r for r in self.conn.execute(select(rounds).where(rounds.c.id.in_(ids)))}

    def round_ids(self) -> list[int]:
        return [int(i) for i in self.conn.scalars(select(rounds.c.id).order_by(rounds.c.id))]

    def claims_by_id(self, ids: Sequence[int]) -> dict[int, Any]:
        if not ids:
            return {}
        q = select(
            claims.c.id, claims.c.condition_code, claims.c.payout, claims.c.age_at_diagnosis
        ).where(claims.c.id.in_(ids))
        return {r.id: r for r in self.conn.execute(q)}

    def paid_claims(self) -> list[tuple[int, int]]:
        """(claim id, round id) of every claim taken into a round."""
        q = (
            select(claims.c.id, claims.c.round_id)
            .where(claims.c.round_id.is_not(None))
            .order_by(claims.c.id)
        )
        return [(int(r.id), int(r.round_id)) for r in self.conn.execute(q)]

    def plan_versions(self) -> Iterator[PlanVersionRow]:
        rows = self.conn.execute(
            select(
                plan_versions.c.plan_id,
                plan_versions.c.version,
                plan_versions.c.effective_from,
                plan_versions.c.sha256,
                plan_versions.c.document,
            ).order_by(plan_versions.c.plan_id, plan_versions.c.version)
        )
        for r in rows:
            yield PlanVersionRow(
                r.plan_id,
                int(r.version),
                r.effective_from,
                r.sha256,
                hashlib.sha256(str(r.document).encode("utf-8")).hexdigest(),
            )


def _entry(row: Any) -> LogEntry:
    return LogEntry(
        seq=int(row.seq),
        at=row.at,
        kind=row.kind,
        subject=row.subject,
        payload=dict(row.payload),
        prev_digest=row.prev_digest,
        digest=row.digest,
    )
