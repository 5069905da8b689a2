"""The stored parts of round Merkle trees: each round's root, its chunks and their inner nodes,
over the charges the round's archive (or its live rows) holds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select, tuple_

from huzhu.storage.repositories.record.archive import ArchiveRepository
from huzhu.storage.tables import rounds
from huzhu.storage.tables_record import round_merkle, round_merkle_chunks, round_merkle_nodes


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


class MerkleTreeRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

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


def _chunk(row: Any) -> ChunkRecord:
    return ChunkRecord(
        int(row.chunk_no), int(row.first_membership_id), int(row.last_membership_id), str(row.root)
    )
