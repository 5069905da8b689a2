"""A member fetches an inclusion proof of their own charge and checks it offline; the round's
public report carries the chain head and the Merkle root."""

from __future__ import annotations

from apikit import AFTER_LOCK, World, problem

from huzhu.domain.merkle import verify_proof
from huzhu.services.record import merkle_proofs, public_record
from huzhu.storage.uow import UnitOfWork


def test_a_member_proves_their_charge_and_no_one_else_can(world: World) -> None:
    api = world.api
    report = api.get(f"/v1/rounds/{world.round_id}").json()
    assert report["merkle_root"] is None  # not published yet
    problem(
        api.get(f"/v1/memberships/{world.m_a}/rounds/{world.round_id}/proof", world.a),
        404,
        "no-merkle-root",
    )
    with UnitOfWork(api.engine) as uow:
        published = merkle_proofs.publish_round_proofs(uow, world.round_id, AFTER_LOCK)
        head = public_record.chain_head(uow)
        uow.commit()
    report = api.get(f"/v1/rounds/{world.round_id}").json()
    assert report["merkle_root"] == published.root
    assert report["chain_head"]["seq"] >= head[0]
    r = api.get(f"/v1/memberships/{world.m_a}/rounds/{world.round_id}/proof", world.a)
    assert r.status_code == 200, r.text
    proof = r.json()
    assert proof["leaf"]["membership_id"] == world.m_a and proof["root"] == published.root
    assert verify_proof(proof)
    proof["leaf"]["amount"] += 1
    assert not verify_proof(proof)
    # B asks for A's proof: answered like a membership that does not exist.
    problem(
        api.get(f"/v1/memberships/{world.m_a}/rounds/{world.round_id}/proof", world.b),
        404,
        "unknown-membership",
    )
