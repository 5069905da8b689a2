"""Limits against flooding and guessing (issue 10, section 4): evidence files per claim, claims
awaiting a decision per membership, and a juror test that does not tell its score."""

from __future__ import annotations

from pathlib import Path

import pytest
from apikit import PLAN, Api, World, problem

from huzhu.domain.jury import QUESTIONS
from huzhu.services.claims import evidence as evidence_svc
from huzhu.services.claims import submission
from huzhu.storage.evidence import LocalEvidenceStore

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"


def test_a_claim_holds_a_limited_number_of_files(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evidence_svc, "MAX_FILES_PER_CLAIM", 3)
    api = world.api
    api.app.state.evidence_store = LocalEvidenceStore(tmp_path / "evidence")
    path = f"/v1/claims/{world.claim_b}/evidence"

    def upload(n: int) -> int:
        data = PDF + str(n).encode()
        r = api.post(path, world.b, content=data, headers={"Content-Type": "application/pdf"})
        return r.status_code

    assert [upload(n) for n in range(3)] == [201, 201, 201]
    assert upload(0) in (200, 201)  # the same file again is no new file: still taken
    body = problem(
        api.post(path, world.b, content=PDF + b"x", headers={"Content-Type": "application/pdf"}),
        409,
        "evidence-limit-reached",
    )
    assert [v["code"] for v in body["violations"]] == ["evidence-limit-reached"]
    assert api.count("claim_evidence", "claim_id = :c", c=world.claim_b) == 3


def test_a_membership_has_a_limited_number_of_claims_awaiting_a_decision(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(submission, "MAX_OPEN_CLAIMS", 2)
    for n in range(5):  # enough members for the plan to take claims
        api.member(f"member{n}")
    alice = api.member("alice")
    membership = alice.memberships[PLAN]
    first = api.claim(alice, membership)
    api.claim(alice, membership)
    refused = api.post("/v1/claims", alice, json=api.claim_body(membership))
    body = problem(refused, 409, "too-many-open-claims")
    assert [v["code"] for v in body["violations"]] == ["too-many-open-claims"]
    assert api.count("claims", "membership_id = :m", m=membership) == 2
    # a withdrawn claim no longer counts
    r = api.post(f"/v1/claims/{first}/withdraw", alice, json={"reason": "filed twice"})
    assert r.status_code == 200, r.text
    api.claim(alice, membership)


def test_the_juror_test_answers_pass_or_fail_without_a_score(api: Api) -> None:
    alice = api.member("alice", plan=None)
    first = QUESTIONS[0]
    one_right = {"answers": {first.id: first.answer}}
    r = api.post("/v1/juror-test", alice, json=one_right)
    assert r.status_code == 200, r.text
    assert r.json() == {"total": len(QUESTIONS), "passed": False}
    all_right = {"answers": {q.id: q.answer for q in QUESTIONS}}
    assert api.post("/v1/juror-test", alice, json=all_right).json()["passed"] is True
