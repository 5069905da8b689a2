"""The public record: the global hash-chained log and the stored parts of round Merkle trees."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from huzhu.domain.chain import GENESIS
from huzhu.storage.repositories.record.archive import ArchiveRepository
from huzhu.storage.tables import claims, plan_versions, rounds
from huzhu.storage.tables_record import (
    public_log,
    public_log_head,
    round_merkle,
    round_merkle_chunks,
    round_merkle_nodes,
)

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
class MerkleRecord:
    round_id: int
    leaves: int
    chunk_size: int
    chunks: int
    root: str
    computed_at: datetime


@dataclass(frozen=True)
class ChunkRecord:
    chunk_no: int
    first_membership_id: int
    last_membership_id: int
    root: str


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

    # -- Merkle trees ------------------------------------------------------------------------

    def charges_after(
        self, round_id: int, after_membership_id: int | None, limit: int
    ) -> list[tuple[int, int, int]]:
        """(round_id, membership_id, amount) of the next `limit` charges in membership_id order,
        read from the round's archive once it is archived."""
        return ArchiveRepository(self.conn).charges_after(round_id, after_membership_id, limit)

    def charges_between(self, round_id: int, first: int, last: int) -> list[tuple[int, int, int]]:
        return ArchiveRepository(self.conn).charges_between(round_id, first, last)

    def lock_round(self, round_id: int) -> bool:
        """Serialise Merkle publication per round (FOR NO KEY UPDATE: rows that merely reference
        the round are not held up). False when there is no such round."""
        q = select(rounds.c.id).where(rounds.c.id == round_id).with_for_update(key_share=True)
        return self.conn.scalar(q) is not None

    def merkle(self, round_id: int) -> MerkleRecord | None:
        row = self.conn.execute(
            select(round_merkle).where(round_merkle.c.round_id == round_id)
        ).first()
        if row is None:
            return None
        return MerkleRecord(
            int(row.round_id),
            int(row.leaves),
            int(row.chunk_size),
            int(row.chunks),
            row.root,
            row.computed_at,
        )

    def merkle_round_ids(self) -> list[int]:
        return [
            int(i)
            for i in self.conn.scalars(
                select(round_merkle.c.round_id).order_by(round_merkle.c.round_id)
            )
        ]

    def add_merkle(self, record: MerkleRecord) -> None:
        self.conn.execute(
            insert(round_merkle).values(
                round_id=record.round_id,
                leaves=record.leaves,
                chunk_size=record.chunk_size,
                chunks=record.chunks,
                root=record.root,
                computed_at=record.computed_at,
            )
        )

    def add_chunks(self, round_id: int, chunks: Sequence[ChunkRecord]) -> None:
        if not chunks:
            return
        self.conn.execute(
            insert(round_merkle_chunks),
            [
                {
                    "round_id": round_id,
                    "chunk_no": c.chunk_no,
                    "first_membership_id": c.first_membership_id,
                    "last_membership_id": c.last_membership_id,
                    "root": c.root,
                }
                for c in chunks
            ],
        )

    def add_nodes(
        self, round_id: int, nodes: Iterable[tuple[int, int, str]], batch: int = 5000
    ) -> None:
        """(level, idx, digest) rows of the tree above the chunk roots."""
        rows: list[dict[str, Any]] = []
        for level, idx, digest in nodes:
            rows.append({"round_id": round_id, "level": level, "idx": idx, "digest": digest})
            if len(rows) >= batch:
                self.conn.execute(insert(round_merkle_nodes), rows)
                rows = []
        if rows:
            self.conn.execute(insert(round_merkle_nodes), rows)

    def chunk_containing(self, round_id: int, membership_id: int) -> ChunkRecord | None:
        row = self.conn.execute(
            select(round_merkle_chunks)
            .where(
                round_merkle_chunks.c.round_id == round_id,
                round_merkle_chunks.c.first_membership_id <= membership_id,
            )
            .order_by(round_merkle_chunks.c.first_membership_id.desc())
            .limit(1)
        ).first()
        if row is None or membership_id > row.last_membership_id:
            return None
        return _chunk(row)

    def chunks(
        self, round_id: int, *, after_no: int = -1, limit: int = 10_000
    ) -> list[ChunkRecord]:
        rows = self.conn.execute(
            select(round_merkle_chunks)
            .where(
                round_merkle_chunks.c.round_id == round_id,
                round_merkle_chunks.c.chunk_no > after_no,
            )
            .order_by(round_merkle_chunks.c.chunk_no)
            .limit(limit)
        )
        return [_chunk(r) for r in rows]

    def chunk_roots(self, round_id: int, chunk_nos: Sequence[int]) -> dict[int, str]:
        if not chunk_nos:
            return {}
        rows = self.conn.execute(
            select(round_merkle_chunks.c.chunk_no, round_merkle_chunks.c.root).where(
                round_merkle_chunks.c.round_id == round_id,
                round_merkle_chunks.c.chunk_no.in_(chunk_nos),
            )
        )
        return {int(r.chunk_no): str(r.root) for r in rows}

    def nodes(self, round_id: int, wanted: Sequence[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """Stored upper-tree digests at (level, idx)."""
        if not wanted:
            return {}
        rows = self.conn.execute(
            select(
                round_merkle_nodes.c.level, round_merkle_nodes.c.idx, round_merkle_nodes.c.digest
            ).where(
                and_(
                    round_merkle_nodes.c.round_id == round_id,
                    tuple_(round_merkle_nodes.c.level, round_merkle_nodes.c.idx).in_(list(wanted)),
                )
            )
        )
        return {(int(r.level), int(r.idx)): str(r.digest) for r in rows}

    def node_rows(self, round_id: int) -> list[tuple[int, int, str]]:
        """Every stored (level, idx, digest) above the chunk roots, in level and index order."""
        rows = self.conn.execute(
            select(
                round_merkle_nodes.c.level, round_merkle_nodes.c.idx, round_merkle_nodes.c.digest
            )
            .where(round_merkle_nodes.c.round_id == round_id)
            .order_by(round_merkle_nodes.c.level, round_merkle_nodes.c.idx)
        )
        return [(int(r.level), int(r.idx), str(r.digest)) for r in rows]


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


def _chunk(row: Any) -> ChunkRecord:
    return ChunkRecord(
        int(row.chunk_no), int(row.first_membership_id), int(row.last_membership_id), str(row.root)
    )
