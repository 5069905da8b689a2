"""The public record: a hash-chained log of what the operator published.

Announced cases, jury results, round results and plan rule changes are appended here, so that
outsiders can hold the operator to what it said.

Each entry's digest is `chain_digest(prev_digest, canonical_entry(...))` over one global chain;
publishing the newest (seq, digest), the chain head, commits the operator to every entry before it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Engine

from huzhu.domain.chain import GENESIS, chain_digest
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
from huzhu.domain.plans import Plan
from huzhu.storage.repositories.public_record import ChunkRecord, LogEntry, MerkleRecord
from huzhu.storage.repositories.rounds import RoundRecord
from huzhu.storage.uow import UnitOfWork

# The kinds of entry huzhu appends.
PLAN_VERSION = "plan-version"
ROUND_RESULT = "round-result"
ROUND_MERKLE_ROOT = "round-merkle-root"
CASE_ANNOUNCED = "case-announced"
JURY_RESULT = "jury-result"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in a public record payload; use an aware one")
        return _stamp(value)
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
        [seq, _stamp(at), kind, subject, payload],
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
        "lock_at": _stamp(record.lock_at),
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


# -- Merkle roots over a round's charges ------------------------------------------------------

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
    repo = uow.public_record
    chunk_size = chunk_size or CHUNK_SIZE
    batch = chunk_size * BATCH_CHUNKS
    after: int | None = None
    chunk_no = 0
    while True:
        rows = repo.charges_after(round_id, after, batch)
        for start in range(0, len(rows), chunk_size):
            part = rows[start : start + chunk_size]
            root = root_of(leaf_hashes(part))
            yield ChunkRecord(chunk_no, part[0][1], part[-1][1], root.hex()), len(part)
            chunk_no += 1
        if len(rows) < batch:
            return
        after = rows[-1][1]


def _upper_nodes(chunk_roots: list[bytes]) -> list[tuple[int, int, str]]:
    """(level, idx, digest) of the tree above the chunk roots (level 1 pairs chunk roots)."""
    levels = tree_levels(chunk_roots)
    return [
        (level, idx, digest.hex())
        for level in range(1, len(levels))
        for idx, digest in enumerate(levels[level])
    ]


def publish_round_proofs(uow: UnitOfWork, round_id: int, now: datetime) -> MerklePublication:
    """Compute and store a charged round's Merkle root and append it to the log. Safe to repeat."""
    repo = uow.public_record
    if not repo.lock_round(round_id):
        raise NotFound(f"no round {round_id}", code="unknown-round", field="round")
    existing = repo.merkle(round_id)
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
    for chunk, count in stream_chunks(uow, round_id, chunk_size):
        pending.append(chunk)
        chunk_roots.append(bytes.fromhex(chunk.root))
        leaves += count
        if len(pending) >= BATCH_CHUNKS:
            repo.add_chunks(round_id, pending)
            pending = []
    repo.add_chunks(round_id, pending)
    repo.add_nodes(round_id, _upper_nodes(chunk_roots))
    root = root_of(chunk_roots).hex()
    repo.add_merkle(
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
    merkle = repo.merkle(round_id)
    if merkle is None:
        raise NotFound(
            f"round {round_id} has no published Merkle root yet (huzhu record publish-proofs)",
            code="no-merkle-root",
            field="round",
        )
    chunk = repo.chunk_containing(round_id, membership_id)
    rows = (
        []
        if chunk is None
        else repo.charges_between(round_id, chunk.first_membership_id, chunk.last_membership_id)
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
    chunk_roots = repo.chunk_roots(round_id, [i for lvl, i in above if lvl == 0])
    nodes = repo.nodes(round_id, [(lvl, i) for lvl, i in above if lvl > 0])
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


# -- huzhu verify -------------------------------------------------------------------------------

CHAIN_CHECK = "the public log's hash chain is intact"
ROUNDS_CHECK = "every round's figures match its latest log entry"
CASES_CHECK = "every announced case matches the claims table"
PLANS_CHECK = "every plan version matches its log entry"
MERKLE_CHECK = "every published Merkle root matches the round's charges"

# Fields of an announced case that the claims table also holds, with the payload keys that may
# carry them. The latest case-announced or jury-result entry of a claim that names a field is what
# the operator last said about it.
CASE_FIELDS: dict[str, tuple[str, ...]] = {
    "condition_code": ("condition_code", "condition"),
    "payout": ("payout",),
    "age_at_diagnosis": ("age_at_diagnosis", "age"),
}


@dataclass
class Check:
    name: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class VerifyReport:
    checks: list[Check]
    head: tuple[int, str]
    entries: int

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def _name(entry: LogEntry) -> str:
    return f"log seq {entry.seq} ({entry.kind} {entry.subject})"


def _subject_id(entry: LogEntry, prefix: str, *keys: str) -> int | None:
    head, _, rest = entry.subject.partition(":")
    if head == prefix and rest.isdigit():
        return int(rest)
    for key in keys:
        value = entry.payload.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _same(logged: Any, live: Any) -> bool:
    if isinstance(logged, bool) or isinstance(live, bool):
        return logged is live
    if isinstance(logged, int | float) and isinstance(live, int | float):
        return logged == live
    return (None if logged is None else str(logged)) == (None if live is None else str(live))


@dataclass
class _Seen:
    """The latest entries the chain walk found, by what they speak about."""

    rounds: dict[int, LogEntry] = field(default_factory=dict)
    merkle: dict[int, LogEntry] = field(default_factory=dict)
    plans: dict[tuple[str, int], LogEntry] = field(default_factory=dict)
    announced: set[int] = field(default_factory=set)
    case_fields: dict[int, dict[str, tuple[Any, LogEntry]]] = field(default_factory=dict)

    def take(self, entry: LogEntry, check: Check) -> None:
        if entry.kind == ROUND_RESULT:
            rid = _subject_id(entry, "round", "round_id")
            if rid is None:
                check.problems.append(f"{_name(entry)}: names no round")
            else:
                self.rounds[rid] = entry
        elif entry.kind == ROUND_MERKLE_ROOT:
            rid = _subject_id(entry, "round", "round_id")
            if rid is None:
                check.problems.append(f"{_name(entry)}: names no round")
            else:
                self.merkle[rid] = entry
        elif entry.kind == PLAN_VERSION:
            plan, version = entry.payload.get("plan"), entry.payload.get("version")
            if not isinstance(plan, str) or not isinstance(version, int):
                check.problems.append(f"{_name(entry)}: names no plan version")
            else:
                self.plans[(plan, version)] = entry
        elif entry.kind in (CASE_ANNOUNCED, JURY_RESULT):
            cid = _subject_id(entry, "claim", "claim_id", "claim")
            if cid is None:
                check.problems.append(f"{_name(entry)}: names no claim")
                return
            if entry.kind == CASE_ANNOUNCED:
                self.announced.add(cid)
            known = self.case_fields.setdefault(cid, {})
            for column, keys in CASE_FIELDS.items():
                for key in keys:
                    if key in entry.payload:
                        known[column] = (entry.payload[key], entry)
                        break


def _check_chain(uow: UnitOfWork, seen: _Seen) -> tuple[Check, int]:
    check = Check(CHAIN_CHECK)
    repo = uow.public_record
    prev_seq, prev_digest, count = 0, GENESIS, 0
    for entry in repo.all_entries():
        count += 1
        if entry.seq != prev_seq + 1:
            missing = (
                f"seq {prev_seq + 1}" if entry.seq == prev_seq + 2
                else f"seqs {prev_seq + 1}-{entry.seq - 1}"
            )  # fmt: skip
            check.problems.append(f"{_name(entry)}: {missing} before it are missing (deleted?)")
        if entry.prev_digest != prev_digest:
            check.problems.append(
                f"{_name(entry)}: its prev_digest {entry.prev_digest[:12]} does not follow the "
                f"entry before it ({prev_digest[:12]})"
            )
        if entry_digest(entry) != entry.digest:
            check.problems.append(f"{_name(entry)}: its content or digest has changed")
        prev_seq, prev_digest = entry.seq, entry.digest
        seen.take(entry, check)
    stored = repo.stored_head()
    if stored is None:
        if count:
            check.problems.append("the chain head row (public_log_head) is missing")
    elif stored != (prev_seq, prev_digest):
        check.problems.append(
            f"the chain head says seq {stored[0]} digest {stored[1][:12]}, the last entry is "
            f"seq {prev_seq} digest {prev_digest[:12]} (entries deleted or added at the end?)"
        )
    return check, count


def _live_round(row: Any) -> dict[str, Any]:
    return {
        "round_id": row.id,
        "plan": row.plan_id,
        "announce_date": row.announce_date.isoformat(),
        "lock_at": _stamp(row.lock_at),
        "collect_date": row.collect_date.isoformat(),
        "plan_version": row.plan_version,
        "members": row.members,
        "cases": row.cases,
        "payouts": row.payouts,
        "fee": row.fee,
        "carry_in": row.carry_in,
        "share": row.share,
        "member_cap": row.member_cap,
        "collected": row.collected,
        "backstop": row.backstop,
        "surplus": row.surplus,
    }


def _check_rounds(uow: UnitOfWork, seen: _Seen) -> Check:
    check = Check(ROUNDS_CHECK)
    repo = uow.public_record
    ids = sorted(set(repo.round_ids()) | set(seen.rounds))
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        live = repo.rounds_by_id(part)
        for rid in part:
            entry, row = seen.rounds.get(rid), live.get(rid)
            if entry is None:
                assert row is not None
                check.problems.append(
                    f"round:{rid} ({row.plan_id} {row.announce_date}): no round-result entry in "
                    "the log"
                )
                continue
            if row is None:
                check.problems.append(f"{_name(entry)}: round {rid} is gone from the rounds table")
                continue
            actual = _live_round(row)
            for key, logged in entry.payload.items():
                if key not in actual:
                    check.problems.append(f"{_name(entry)}: the rounds table has no {key!r}")
                elif not _same(logged, actual[key]):
                    check.problems.append(
                        f"{_name(entry)} [{row.plan_id} {row.announce_date}]: {key} is "
                        f"{logged} in the log, {actual[key]} in the rounds table"
                    )
    return check


def _check_cases(uow: UnitOfWork, seen: _Seen) -> Check:
    check = Check(CASES_CHECK)
    ids = sorted(seen.announced)
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        live = uow.public_record.claims_by_id(part)
        for cid in part:
            fields = seen.case_fields.get(cid, {})
            row = live.get(cid)
            if row is None:
                where = next(iter(fields.values()))[1] if fields else None
                named = _name(where) if where else f"claim:{cid}"
                check.problems.append(f"{named}: claim {cid} is gone from the claims table")
                continue
            for column, (logged, entry) in fields.items():
                actual = getattr(row, column)
                if not _same(logged, actual):
                    check.problems.append(
                        f"{_name(entry)}: {column} is {logged} in the log, {actual} in the "
                        "claims table"
                    )
    for cid, round_id in uow.public_record.paid_claims():
        if cid not in seen.announced:
            check.problems.append(
                f"claim:{cid} was paid in round:{round_id} but the log never announced it"
            )
    return check


def _check_plans(uow: UnitOfWork, seen: _Seen) -> Check:
    check = Check(PLANS_CHECK)
    found: set[tuple[str, int]] = set()
    for row in uow.public_record.plan_versions():
        key = (row.plan_id, row.version)
        found.add(key)
        entry = seen.plans.get(key)
        label = f"plan {row.plan_id} version {row.version}"
        if entry is None:
            check.problems.append(f"{label}: no plan-version entry in the log")
            continue
        if row.document_sha256 != entry.payload.get("sha256"):
            check.problems.append(
                f"{_name(entry)}: {label}'s document hashes to {row.document_sha256[:12]}, the "
                f"log says {str(entry.payload.get('sha256'))[:12]}"
            )
        if row.sha256 != entry.payload.get("sha256"):
            check.problems.append(
                f"{_name(entry)}: {label}'s stored sha256 {row.sha256[:12]} is not the logged one"
            )
        logged_from = entry.payload.get("effective_from")
        if logged_from is not None and logged_from != row.effective_from.isoformat():
            check.problems.append(
                f"{_name(entry)}: {label} takes effect {row.effective_from}, the log says "
                f"{logged_from}"
            )
    for key in sorted(set(seen.plans) - found):
        check.problems.append(
            f"{_name(seen.plans[key])}: plan {key[0]} version {key[1]} is gone from plan_versions"
        )
    return check


def _check_merkle(uow: UnitOfWork, seen: _Seen) -> Check:
    check = Check(MERKLE_CHECK)
    repo = uow.public_record
    published = repo.merkle_round_ids()
    for rid in sorted(set(seen.merkle) - set(published)):
        check.problems.append(f"{_name(seen.merkle[rid])}: the stored Merkle root is gone")
    for rid in published:
        merkle = repo.merkle(rid)
        assert merkle is not None
        entry = seen.merkle.get(rid)
        label = _name(entry) if entry else f"round:{rid}"
        if entry is None:
            check.problems.append(f"round:{rid}: its Merkle root was never appended to the log")
        elif (entry.payload.get("root"), entry.payload.get("leaves")) != (
            merkle.root,
            merkle.leaves,
        ):
            check.problems.append(
                f"{label}: the log says root {str(entry.payload.get('root'))[:12]} over "
                f"{entry.payload.get('leaves')} charges, round_merkle says {merkle.root[:12]} "
                f"over {merkle.leaves}"
            )
        stored = iter(_stored_chunks(uow, rid))
        roots: list[bytes] = []
        leaves = 0
        for chunk, count in stream_chunks(uow, rid, merkle.chunk_size):
            leaves += count
            roots.append(bytes.fromhex(chunk.root))
            kept = next(stored, None)
            if kept != chunk and len(check.problems) < 1000:
                check.problems.append(
                    f"{label}: chunk {chunk.chunk_no} (memberships {chunk.first_membership_id}-"
                    f"{chunk.last_membership_id}) does not match its stored root: a charge in it "
                    "changed, or was added or removed"
                )
        extra = sum(1 for _ in stored)
        if extra:
            check.problems.append(f"{label}: {extra} stored chunk(s) have no charges any more")
        root = root_of(roots).hex()
        if (root, leaves) != (merkle.root, merkle.leaves):
            check.problems.append(
                f"{label}: the charges now give root {root[:12]} over {leaves}, published "
                f"{merkle.root[:12]} over {merkle.leaves}"
            )
        if repo.node_rows(rid) != _upper_nodes(roots):
            check.problems.append(f"{label}: the stored tree above the chunk roots has changed")
    unpublished = sorted(set(repo.round_ids()) - set(published))
    if unpublished:
        check.notes.append(
            f"{len(unpublished)} round(s) have no Merkle root published yet: "
            + ", ".join(f"round:{r}" for r in unpublished[:20])
        )
    return check


def _stored_chunks(uow: UnitOfWork, round_id: int) -> Iterator[ChunkRecord]:
    after = -1
    while True:
        page = uow.public_record.chunks(round_id, after_no=after, limit=10_000)
        yield from page
        if len(page) < 10_000:
            return
        after = page[-1].chunk_no


def verify(uow: UnitOfWork, *, merkle: bool = True) -> VerifyReport:
    """Check the whole chain, that what the log says still matches the live rows, and (unless
    `merkle` is False) every published Merkle root against a recomputation.

    Give it a unit of work on one snapshot (REPEATABLE READ on PostgreSQL, see `snapshot_engine`),
    or a round committed while it reads may look like a round missing from the log."""
    seen = _Seen()
    chain, count = _check_chain(uow, seen)
    checks = [
        chain,
        _check_rounds(uow, seen),
        _check_cases(uow, seen),
        _check_plans(uow, seen),
    ]
    if merkle:
        checks.append(_check_merkle(uow, seen))
    return VerifyReport(checks, chain_head(uow), count)
