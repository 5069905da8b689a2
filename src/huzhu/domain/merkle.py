"""Merkle trees over a round's member charges, and inclusion proofs a member can check offline.

The tree (pure functions; everything a verifier needs is in this module and the proof itself):

- leaf   = SHA-256(0x00 || int64be(round_id) || int64be(membership_id) || int64be(amount_fen)),
           the leaves in membership_id order;
- node   = SHA-256(0x01 || left || right) (the prefixes keep a leaf from passing as a node);
- a level with an odd count promotes its last node unchanged to the next level (nothing is
  duplicated, so no two different lists of leaves share a root);
- the root of no leaves is SHA-256 of the empty string.

Stored in two levels for scale: the leaves are cut into chunks of CHUNK_SIZE (a power of two)
consecutive leaves and only each chunk's root and the tree above the chunk roots are kept. Because
the chunks are aligned powers of two, the two-level tree is exactly the flat tree over all leaves:
a proof is an ordinary audit path, its first steps inside the chunk and the rest above it.

A proof carries the leaf's index and the number of leaves, and the verifier checks that the path
has exactly the shape those two numbers dictate, so a proof also pins where the charge sits.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

CHUNK_SIZE = 1024
CHUNK_LEVELS = CHUNK_SIZE.bit_length() - 1  # the levels of the tree inside one full chunk
EMPTY_ROOT = hashlib.sha256(b"").hexdigest()
PROOF_FORMAT = "huzhu-charge-proof/1"

_LEAF = struct.Struct(">Bqqq")
_sha256 = hashlib.sha256

Side = Literal["left", "right"]


def leaf_hash(round_id: int, membership_id: int, amount: int) -> bytes:
    return _sha256(_LEAF.pack(0, round_id, membership_id, amount)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


def leaf_hashes(rows: Iterable[tuple[int, int, int]]) -> list[bytes]:
    """Leaf hashes of (round_id, membership_id, amount) rows (the hot loop: kept tight)."""
    pack = _LEAF.pack
    sha = _sha256
    return [sha(pack(0, r, m, a)).digest() for r, m, a in rows]


def next_level(level: Sequence[bytes]) -> list[bytes]:
    sha = _sha256
    up = [sha(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
    if len(level) % 2:
        up.append(level[-1])
    return up


def tree_levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every level from the leaves (index 0) up to the one-node root level."""
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        levels.append(next_level(levels[-1]))
    return levels


def root_of(leaves: Sequence[bytes]) -> bytes:
    if not leaves:
        return bytes.fromhex(EMPTY_ROOT)
    level = list(leaves)
    while len(level) > 1:
        level = next_level(level)
    return level[0]


@dataclass(frozen=True)
class PathShape:
    level: int  # 0 = the leaves' level
    sibling: int  # the sibling's index at that level
    side: Side  # which side the sibling is on


def path_shape(index: int, count: int) -> list[PathShape]:
    """Where the siblings of leaf `index` sit in a tree of `count` leaves (a promoted node has
    no sibling at that level, so it has no step)."""
    if not 0 <= index < count:
        raise ValueError(f"leaf {index} is not in a tree of {count} leaves")
    steps: list[PathShape] = []
    level = 0
    while count > 1:
        if index % 2:
            steps.append(PathShape(level, index - 1, "left"))
        elif index + 1 < count:
            steps.append(PathShape(level, index + 1, "right"))
        index //= 2
        count = (count + 1) // 2
        level += 1
    return steps


def audit_path(levels: Sequence[Sequence[bytes]], index: int) -> list[tuple[bytes, Side]]:
    """The audit path of leaf `index` from a tree's levels (as from `tree_levels`)."""
    return [(levels[s.level][s.sibling], s.side) for s in path_shape(index, len(levels[0]))]


@dataclass(frozen=True)
class ProofStep:
    hash: str  # hex
    side: Side  # the sibling's side: "left" means parent = node(sibling, current)


@dataclass(frozen=True)
class Proof:
    """An inclusion proof for one member's charge in one round (JSON via `to_dict`)."""

    round_id: int
    membership_id: int
    amount: int
    index: int  # the leaf's position among all the round's leaves
    leaves: int
    chunk: int
    chunk_size: int
    path: tuple[ProofStep, ...]
    root: str
    # Descriptive only (plan, announce date, the log entry holding the root); not verified.
    context: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": PROOF_FORMAT,
            "leaf": {
                "round_id": self.round_id,
                "membership_id": self.membership_id,
                "amount": self.amount,
            },
            "index": self.index,
            "leaves": self.leaves,
            "chunk": self.chunk,
            "chunk_size": self.chunk_size,
            "path": [{"hash": s.hash, "side": s.side} for s in self.path],
            "root": self.root,
            "context": dict(self.context),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Proof:
        """Read a proof; raises ValueError naming what is missing or malformed."""
        if not isinstance(data, Mapping):
            raise ValueError("a proof is a JSON object")
        if data.get("format") != PROOF_FORMAT:
            raise ValueError(f"format is {data.get('format')!r}, expected {PROOF_FORMAT!r}")
        leaf = data.get("leaf")
        if not isinstance(leaf, Mapping):
            raise ValueError("leaf: missing (round_id, membership_id, amount)")
        path = data.get("path")
        if not isinstance(path, list):
            raise ValueError("path: missing or not a list")
        steps = []
        for n, step in enumerate(path):
            if not isinstance(step, Mapping):
                raise ValueError(f"path[{n}]: not an object")
            side = step.get("side")
            if side not in ("left", "right"):
                raise ValueError(f"path[{n}].side: {side!r} is not 'left' or 'right'")
            steps.append(ProofStep(_hex(step.get("hash"), f"path[{n}].hash"), side))
        context = data.get("context", {})
        return cls(
            round_id=_int(leaf.get("round_id"), "leaf.round_id"),
            membership_id=_int(leaf.get("membership_id"), "leaf.membership_id"),
            amount=_int(leaf.get("amount"), "leaf.amount", signed=True),
            index=_int(data.get("index"), "index"),
            leaves=_int(data.get("leaves"), "leaves"),
            chunk=_int(data.get("chunk"), "chunk"),
            chunk_size=_int(data.get("chunk_size"), "chunk_size"),
            path=tuple(steps),
            root=_hex(data.get("root"), "root"),
            context=dict(context) if isinstance(context, Mapping) else {},
        )


_INT64 = 2**63


def _int(value: Any, name: str, *, signed: bool = False) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name}: {value!r} is not an integer")
    low = -_INT64 if signed else 0
    if not low <= value < _INT64:
        raise ValueError(f"{name}: {value} is out of range")
    return value


def _hex(value: Any, name: str) -> str:
    if not isinstance(value, str) or len(value) != 64:
        raise ValueError(f"{name}: not a 64-digit hex SHA-256")
    try:
        bytes.fromhex(value)
    except ValueError:
        raise ValueError(f"{name}: not a 64-digit hex SHA-256") from None
    return value.lower()


def check_proof(proof: Proof | Mapping[str, Any]) -> str | None:
    """None when the proof holds; otherwise why it does not. Needs nothing but the proof."""
    try:
        p = proof if isinstance(proof, Proof) else Proof.from_dict(proof)
        if p.leaves < 1 or not 0 <= p.index < p.leaves:
            return f"leaf index {p.index} is not inside a tree of {p.leaves} leaves"
        if p.chunk_size < 1 or p.chunk_size & (p.chunk_size - 1):
            return f"chunk size {p.chunk_size} is not a power of two"
        if p.chunk != p.index // p.chunk_size:
            return f"leaf {p.index} is in chunk {p.index // p.chunk_size}, not {p.chunk}"
        shape = path_shape(p.index, p.leaves)
        if len(shape) != len(p.path):
            return (
                f"the path has {len(p.path)} steps; leaf {p.index} of {p.leaves} needs {len(shape)}"
            )
        current = leaf_hash(p.round_id, p.membership_id, p.amount)
        for n, (want, step) in enumerate(zip(shape, p.path, strict=True)):
            if want.side != step.side:
                return f"path[{n}] says the sibling is on the {step.side}, it is on the {want.side}"
            sibling = bytes.fromhex(step.hash)
            current = (
                node_hash(sibling, current) if step.side == "left" else node_hash(current, sibling)
            )
        if current.hex() != p.root:
            return f"the path leads to root {current.hex()}, not the published {p.root}"
        return None
    except (ValueError, TypeError, struct.error) as e:
        return f"malformed proof: {e}"


def verify_proof(proof: Proof | Mapping[str, Any]) -> bool:
    """True when the charge in the proof is the leaf it names in the tree with that root."""
    return check_proof(proof) is None
