"""Merkle roots over a round's charges: publishing a round's root (its chunks and inner nodes
stored, the root appended to the public record) and proving one member's charge against it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from huzhu.domain.errors import Conflict, NotFound
from huzhu.domain.merkle import (
    CHUNK_SIZE,
    Proof,
    ProofStep,
    leaf_hashes,
    path_shape,
    root_of,
    tree_levels,
)
from huzhu.services.progress import Progress, silent
from huzhu.services.record.public_record import ROUND_MERKLE_ROOT, append_entry
from huzhu.storage.repositories.record.merkle_trees import ChunkRecord, MerkleRecord
from huzhu.storage.uow import UnitOfWork

# Charges are read in batches of whole chunks: memory stays bounded at any round size.
BATCH_CHUNKS = 64


@dataclass(frozen=True)
class MerklePublication:
    round_id: int
    leaves: int
    chunks: int
    root: str
    created: bool  # False when the round's root had already been published: nothing changed
    log_seq: int | None


def stream_chunks(
    uow: UnitOfWork, round_id: int, chunk_size: int | None = None
) -> Iterator[tuple[ChunkRecord, int]]:
    """(chunk, leaves in it) for every chunk of the round's charges, in membership_id order."""
    chunk_size = chunk_size or CHUNK_SIZE
    batch = chunk_size * BATCH_CHUNKS
    after: int | None = None
    chunk_no = 0
    while True:
        rows = uow.merkle_trees.charges_after(round_id, after, batch)
        for start in range(0, len(rows), chunk_size):
            part = rows[start : start + chunk_size]
            root = root_of(leaf_hashes(part))
            yield ChunkRecord(chunk_no, part[0][1], part[-1][1], root.hex()), len(part)
            chunk_no += 1
        if len(rows) < batch:
            return
        after = rows[-1][1]


def upper_nodes(chunk_roots: list[bytes]) -> list[tuple[int, int, str]]:
    """(level, idx, digest) of the tree above the chunk roots (level 1 pairs chunk roots)."""
    levels = tree_levels(chunk_roots)
    return [
        (level, idx, digest.hex())
        for level in range(1, len(levels))
        for idx, digest in enumerate(levels[level])
    ]


def publish_round_proofs(
    uow: UnitOfWork, round_id: int, now: datetime, *, progress: Progress = silent
) -> MerklePublication:
    """Compute and store a charged round's Merkle root and append it to the log. Safe to repeat.

    Reports the charges hashed so far to `progress` (stage "charges hashed")."""
    repo = uow.public_record
    if not uow.merkle_trees.lock_round(round_id):
        raise NotFound(f"no round {round_id}", code="unknown-round", field="round")
    existing = uow.merkle_trees.merkle(round_id)
    if existing is not None:
        entry = repo.latest(ROUND_MERKLE_ROOT, f"round:{round_id}")
        return MerklePublication(
            round_id,
            existing.leaves,
            existing.chunks,
            existing.root,
            created=False,
            log_seq=entry.seq if entry else None,
        )
    record = uow.rounds.get(round_id)
    if record is None:
        raise NotFound(f"no round {round_id}", code="unknown-round", field="round")
    chunk_roots: list[bytes] = []
    pending: list[ChunkRecord] = []
    leaves = 0
    chunk_size = CHUNK_SIZE
    expected = record.figures.members
    for chunk, count in stream_chunks(uow, round_id, chunk_size):
        pending.append(chunk)
        chunk_roots.append(bytes.fromhex(chunk.root))
        leaves += count
        progress("charges hashed", leaves, max(expected, leaves))
        if len(pending) >= BATCH_CHUNKS:
            uow.merkle_trees.add_chunks(round_id, pending)
            pending = []
    uow.merkle_trees.add_chunks(round_id, pending)
    uow.merkle_trees.add_nodes(round_id, upper_nodes(chunk_roots))
    root = root_of(chunk_roots).hex()
    progress("charges hashed", leaves, leaves)
    uow.merkle_trees.add_merkle(
        MerkleRecord(round_id, leaves, chunk_size, len(chunk_roots), root, now.astimezone(UTC))
    )
    entry = append_entry(
        uow,
        ROUND_MERKLE_ROOT,
        f"round:{round_id}",
        {
            "round_id": round_id,
            "plan": record.plan_id,
            "announce_date": record.announce_date.isoformat(),
            "leaves": leaves,
            "chunk_size": chunk_size,
            "root": root,
        },
        now,
    )
    return MerklePublication(round_id, leaves, len(chunk_roots), root, True, entry.seq)


def prove(uow: UnitOfWork, round_id: int, membership_id: int) -> Proof:
    """An inclusion proof of one member's charge in a round whose root was published.

    Reads the member's chunk back from the charges (one index range scan) and the few stored
    nodes above it."""
    repo = uow.public_record
    merkle = uow.merkle_trees.merkle(round_id)
    if merkle is None:
        raise NotFound(
            f"round {round_id} has no published Merkle root yet (huzhu record publish-proofs)",
            code="no-merkle-root",
            field="round",
        )
    chunk = uow.merkle_trees.chunk_containing(round_id, membership_id)
    rows = (
        []
        if chunk is None
        else uow.merkle_trees.charges_between(
            round_id, chunk.first_membership_id, chunk.last_membership_id
        )
    )
    position = next((i for i, row in enumerate(rows) if row[1] == membership_id), None)
    if chunk is None or position is None:
        raise NotFound(
            f"membership {membership_id} was not charged in round {round_id}",
            code="no-charge",
            field="membership",
        )
    levels = tree_levels(leaf_hashes(rows))
    if levels[-1][0].hex() != chunk.root:
        raise Conflict(
            f"round {round_id} chunk {chunk.chunk_no}: the charges no longer match the published "
            "root (run huzhu verify)",
            code="merkle-mismatch",
        )
    size = merkle.chunk_size
    chunk_levels = size.bit_length() - 1
    index = chunk.chunk_no * size + position
    shape = path_shape(index, merkle.leaves)
    above = [(s.level - chunk_levels, s.sibling) for s in shape if s.level >= chunk_levels]
    chunk_roots = uow.merkle_trees.chunk_roots(round_id, [i for lvl, i in above if lvl == 0])
    nodes = uow.merkle_trees.nodes(round_id, [(lvl, i) for lvl, i in above if lvl > 0])
    steps = []
    for s in shape:
        found: str | None
        if s.level < chunk_levels:
            local = s.sibling - chunk.chunk_no * (size >> s.level)
            found = levels[s.level][local].hex()
        elif s.level == chunk_levels:
            found = chunk_roots.get(s.sibling)
        else:
            found = nodes.get((s.level - chunk_levels, s.sibling))
        if found is None:
            raise Conflict(
                f"round {round_id}: a stored node of its Merkle tree is missing (run huzhu verify)",
                code="merkle-mismatch",
            )
        steps.append(ProofStep(found, s.side))
    record = uow.rounds.get(round_id)
    entry = repo.latest(ROUND_MERKLE_ROOT, f"round:{round_id}")
    context: dict[str, Any] = {}
    if record is not None:
        context = {"plan": record.plan_id, "announce_date": record.announce_date.isoformat()}
    if entry is not None:
        context["log_seq"] = entry.seq
        context["log_digest"] = entry.digest
    amount = rows[position][2]
    return Proof(
        round_id, membership_id, amount, index, merkle.leaves, chunk.chunk_no, size,
        tuple(steps), merkle.root, context,
    )  # fmt: skip
