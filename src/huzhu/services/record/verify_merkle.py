"""`huzhu verify`'s Merkle check: every published root against a recomputation from the charges.

Charges are read wherever they are: `member_charges`, or the archive once a round is archived. An
archived round whose table the operator has dropped (after dumping it) cannot be recomputed: its
published root is compared with the root recorded when it was archived, and a note says so.
"""

from __future__ import annotations

from collections.abc import Iterator

from huzhu.domain.merkle import root_of
from huzhu.services.record.merkle_proofs import stream_chunks, upper_nodes
from huzhu.storage.repositories.record.archive import ArchiveRepository
from huzhu.storage.repositories.record.merkle_trees import ChunkRecord
from huzhu.storage.repositories.record.public_record import LogEntry
from huzhu.storage.uow import UnitOfWork

MAX_PROBLEMS = 1000  # chunk mismatches reported per check


def entry_name(entry: LogEntry) -> str:
    return f"log seq {entry.seq} ({entry.kind} {entry.subject})"


def _stored_chunks(uow: UnitOfWork, round_id: int) -> Iterator[ChunkRecord]:
    after = -1
    while True:
        page = uow.merkle_trees.chunks(round_id, after_no=after, limit=10_000)
        yield from page
        if len(page) < 10_000:
            return
        after = page[-1].chunk_no


def _recompute(uow: UnitOfWork, rid: int, chunk_size: int, label: str, out: list[str]) -> None:
    """Recompute one round's tree from its charges and compare it with what is stored."""
    merkle = uow.merkle_trees.merkle(rid)
    assert merkle is not None
    stored = iter(_stored_chunks(uow, rid))
    roots: list[bytes] = []
    leaves = 0
    for chunk, count in stream_chunks(uow, rid, chunk_size):
        leaves += count
        roots.append(bytes.fromhex(chunk.root))
        kept = next(stored, None)
        if kept != chunk and len(out) < MAX_PROBLEMS:
            out.append(
                f"{label}: chunk {chunk.chunk_no} (memberships {chunk.first_membership_id}-"
                f"{chunk.last_membership_id}) does not match its stored root: a charge in it "
                "changed, or was added or removed"
            )
    extra = sum(1 for _ in stored)
    if extra:
        out.append(f"{label}: {extra} stored chunk(s) have no charges any more")
    root = root_of(roots).hex()
    if (root, leaves) != (merkle.root, merkle.leaves):
        out.append(
            f"{label}: the charges now give root {root[:12]} over {leaves}, published "
            f"{merkle.root[:12]} over {merkle.leaves}"
        )
    if uow.merkle_trees.node_rows(rid) != upper_nodes(roots):
        out.append(f"{label}: the stored tree above the chunk roots has changed")


def merkle_problems(uow: UnitOfWork, logged: dict[int, LogEntry]) -> tuple[list[str], list[str]]:
    """(problems, notes) of every published root; `logged` is each round's latest root entry."""
    repo = uow.public_record
    archive = ArchiveRepository(uow.conn)
    archived = {a.round_id: a for a in archive.records()}
    offline = archive.offline(list(archived.values()))
    problems: list[str] = []
    notes: list[str] = []
    published = uow.merkle_trees.merkle_round_ids()
    for rid in sorted(set(logged) - set(published)):
        problems.append(f"{entry_name(logged[rid])}: the stored Merkle root is gone")
    for rid in published:
        merkle = uow.merkle_trees.merkle(rid)
        assert merkle is not None
        entry = logged.get(rid)
        label = entry_name(entry) if entry else f"round:{rid}"
        if entry is None:
            problems.append(f"round:{rid}: its Merkle root was never appended to the log")
        elif (entry.payload.get("root"), entry.payload.get("leaves")) != (
            merkle.root,
            merkle.leaves,
        ):
            problems.append(
                f"{label}: the log says root {str(entry.payload.get('root'))[:12]} over "
                f"{entry.payload.get('leaves')} charges, round_merkle says {merkle.root[:12]} "
                f"over {merkle.leaves}"
            )
        if rid in offline:
            if archived[rid].merkle_root != merkle.root:
                problems.append(
                    f"{label}: archived with root {archived[rid].merkle_root[:12]}, published "
                    f"{merkle.root[:12]}"
                )
            notes.append(
                f"round:{rid} is archived and its table was dropped: its root was checked when "
                f"it was archived; restore {archived[rid].stored_in} to recompute it"
            )
            continue
        _recompute(uow, rid, merkle.chunk_size, label, problems)
    unpublished = sorted(set(repo.round_ids()) - set(published))
    if unpublished:
        notes.append(
            f"{len(unpublished)} round(s) have no Merkle root published yet: "
            + ", ".join(f"round:{r}" for r in unpublished[:20])
        )
    return problems, notes
