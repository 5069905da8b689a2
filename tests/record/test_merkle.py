"""The Merkle tree of a round's charges, pure: every leaf's proof verifies offline, and any change
to the charge, a sibling, a side or the position makes it fail."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huzhu.domain.merkle import (
    CHUNK_SIZE,
    EMPTY_ROOT,
    Proof,
    ProofStep,
    audit_path,
    check_proof,
    leaf_hash,
    leaf_hashes,
    node_hash,
    path_shape,
    root_of,
    tree_levels,
    verify_proof,
)

SIZES = (1, 2, 3, 1023, 1024, 1025, 3000)
ROUND = 42


def charges(size: int, seed: int) -> list[tuple[int, int, int]]:
    """`size` charges with increasing membership ids and varied amounts."""
    rows, member = [], seed % 7
    for k in range(size):
        member += 1 + (seed * 31 + k * 17) % 5
        rows.append((ROUND, member, (seed + k * 13) % 500))
    return rows


def build(rows: list[tuple[int, int, int]], chunk_size: int = CHUNK_SIZE) -> list[Proof]:
    """Proofs for every leaf, built the way the database does: chunk trees plus the tree above."""
    chunks = [rows[i : i + chunk_size] for i in range(0, len(rows), chunk_size)]
    chunk_levels = [tree_levels(leaf_hashes(c)) for c in chunks]
    upper = tree_levels([levels[-1][0] for levels in chunk_levels])
    root = upper[-1][0].hex()
    depth = chunk_size.bit_length() - 1
    proofs = []
    for c, (part, levels) in enumerate(zip(chunks, chunk_levels, strict=True)):
        for pos, (r, m, a) in enumerate(part):
            index = c * chunk_size + pos
            steps = []
            for s in path_shape(index, len(rows)):
                if s.level < depth:
                    digest = levels[s.level][s.sibling - c * (chunk_size >> s.level)]
                else:
                    digest = upper[s.level - depth][s.sibling]
                steps.append(ProofStep(digest.hex(), s.side))
            proofs.append(Proof(r, m, a, index, len(rows), c, chunk_size, tuple(steps), root))
    return proofs


@pytest.mark.parametrize("size", SIZES)
def test_the_two_level_tree_is_the_flat_tree(size: int) -> None:
    rows = charges(size, 5)
    flat = tree_levels(leaf_hashes(rows))
    proofs = build(rows)
    assert {p.root for p in proofs} == {flat[-1][0].hex()}
    assert root_of(leaf_hashes(rows)) == flat[-1][0]
    # the chunked proof of a leaf is exactly its audit path in the flat tree
    for p in proofs[:: max(1, size // 50)]:
        flat_path = audit_path(flat, p.index)
        assert [(s.hash, s.side) for s in p.path] == [(h.hex(), side) for h, side in flat_path]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.sampled_from(SIZES),
    seed=st.integers(0, 10_000),
    pick=st.integers(0, 10**9),
    delta=st.integers(1, 10**6),
)
def test_every_leaf_verifies_and_any_change_fails(
    size: int, seed: int, pick: int, delta: int
) -> None:
    rows = charges(size, seed)
    proofs = build(rows)
    assert all(verify_proof(p) for p in proofs)
    p = proofs[pick % size]
    # round trip through JSON: what a member downloads
    assert verify_proof(json.loads(json.dumps(p.to_dict())))
    d = p.to_dict()
    changed_amount = {**d, "leaf": {**d["leaf"], "amount": d["leaf"]["amount"] + delta}}
    assert not verify_proof(changed_amount)
    changed_member = {**d, "leaf": {**d["leaf"], "membership_id": d["leaf"]["membership_id"] + 1}}
    assert not verify_proof(changed_member)
    if p.path:
        n = pick % len(p.path)
        bad = bytearray(bytes.fromhex(d["path"][n]["hash"]))
        bad[delta % 32] ^= 1 << (delta % 8)
        path = [dict(s) for s in d["path"]]
        path[n]["hash"] = bad.hex()
        assert not verify_proof({**d, "path": path})
        flipped = [dict(s) for s in d["path"]]
        flipped[n]["side"] = "left" if flipped[n]["side"] == "right" else "right"
        assert not verify_proof({**d, "path": flipped})
        assert not verify_proof({**d, "path": d["path"][:-1]})
    else:
        assert size == 1
        assert not verify_proof({**d, "path": [{"hash": "00" * 32, "side": "right"}]})
    if size > 1:
        # the same path cannot be passed off as another position
        assert not verify_proof({**d, "index": (p.index + 1) % size})
    assert not verify_proof({**d, "root": hashlib.sha256(b"x").hexdigest()})


def test_a_single_leaf_is_its_own_root() -> None:
    (p,) = build([(1, 7, 300)])
    assert p.path == () and p.root == leaf_hash(1, 7, 300).hex()
    assert verify_proof(p)


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    a, b = leaf_hash(1, 1, 1), leaf_hash(1, 2, 1)
    assert node_hash(a, b) != node_hash(b, a)
    assert hashlib.sha256(b"\x01" + a + b).digest() == node_hash(a, b)
    assert root_of([]).hex() == EMPTY_ROOT


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d.pop("root"), "root"),
        (lambda d: d.update(format="other/1"), "format"),
        (lambda d: d["leaf"].update(amount="12"), "leaf.amount"),
        (lambda d: d["leaf"].update(membership_id=-1), "leaf.membership_id"),
        (lambda d: d["path"][0].update(side="up"), "side"),
        (lambda d: d["path"][0].update(hash="zz" * 32), "path[0].hash"),
        (lambda d: d.update(index=99), "not inside"),
        (lambda d: d.update(chunk=1), "chunk"),
        (lambda d: d.update(chunk_size=1000), "power of two"),
    ],
)
def test_a_malformed_proof_is_refused_saying_why(mutate: Any, reason: str) -> None:
    d = build(charges(5, 1))[2].to_dict()
    mutate(d)
    problem = check_proof(d)
    assert problem is not None and reason in problem
    assert not verify_proof(d)


def test_a_proof_that_is_not_an_object_is_refused() -> None:
    assert not verify_proof([])  # type: ignore[arg-type]
    assert check_proof("proof") is not None  # type: ignore[arg-type]
