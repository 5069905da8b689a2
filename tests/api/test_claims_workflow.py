"""The claims workflow through the HTTP API (issue 4), on SQLite and PostgreSQL: evidence
uploads and who may read them, investigation, announcement and objections, appeals and juries,
the inbox, and the authorization of every new endpoint (what is not yours answers 404; a missing
role 403)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from apikit import DRAWN_JURY, PLAN, Api, User, World, claim_rules, problem

from huzhu.domain.jury import QUESTIONS
from huzhu.services.claims.evidence import MAX_BYTES
from huzhu.storage.evidence import LocalEvidenceStore

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64
ANSWERS = {"answers": {q.id: q.answer for q in QUESTIONS}}


@pytest.fixture
def w(world: World, tmp_path: Path) -> World:
    world.api.app.state.evidence_store = LocalEvidenceStore(tmp_path / "evidence")
    return world


def upload(
    api: Api, user: User | None, claim_id: int, data: bytes, media: str, name: str | None = None
) -> httpx.Response:
    query = f"?filename={name}" if name else ""
    return api.post(
        f"/v1/claims/{claim_id}/evidence{query}",
        user,
        content=data,
        headers={"Content-Type": media},
    )


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json() if r.content else None


def investigator(w: World) -> User:
    """A third-party investigator: an account without the reviewer role, assigned to claim B."""
    ivan = w.api.account("ivan", "member")
    ok(
        w.api.post(
            f"/v1/claims/{w.claim_b}/assign", w.reviewer, json={"account_id": ivan.account_id}
        )
    )
    return ivan


# --- evidence ---------------------------------------------------------------------------------


def test_uploads_are_checked_by_their_bytes_and_refusals_change_nothing(w: World) -> None:
    api, b = w.api, w.b
    first = ok(upload(api, b, w.claim_b, PDF, "application/pdf", "报告.pdf"), 201)
    assert first["media_type"] == "application/pdf" and first["size"] == len(PDF)
    assert first["reused_in_claims"] is None  # reviewers' information
    again = ok(upload(api, b, w.claim_b, PDF, "application/pdf"), 201)
    assert again["id"] == first["id"]  # the same file is kept once
    before = api.count("claim_evidence")
    refusals = [
        (upload(api, b, w.claim_b, GIF, "image/gif"), 415, "unsupported-evidence-type"),
        (upload(api, b, w.claim_b, b"hello", "application/pdf"), 415, "unsupported-evidence-type"),
        (upload(api, b, w.claim_b, PNG, "image/jpeg"), 415, "evidence-type-mismatch"),
        (upload(api, b, w.claim_b, JPEG, "image/jpeg", "scan.png"), 415, "evidence-type-mismatch"),
        (upload(api, b, w.claim_b, b"", "application/pdf"), 400, "evidence-empty"),
        (upload(api, b, w.claim_b, PDF, "application/json"), 415, "unsupported-evidence-type"),
        (upload(api, b, w.claim_b, PDF + b"0" * MAX_BYTES, "application/pdf"), 413, None),
    ]
    for response, status, code in refusals:
        problem(response, status, code)
    assert api.count("claim_evidence") == before
    # Other routes still refuse bodies that are not JSON.
    problem(
        api.post("/v1/claims", b, content=PDF, headers={"Content-Type": "application/pdf"}), 415
    )


def test_evidence_is_never_public(w: World) -> None:
    api = w.api
    item = ok(upload(api, w.b, w.claim_b, PNG, "image/png"), 201)
    path = f"/v1/claims/{w.claim_b}/evidence/{item['id']}"
    got = api.get(path, w.b)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in got.headers["cache-control"]
    assert got.headers["content-disposition"].startswith("attachment")
    problem(api.get(path), 401)
    for stranger in (w.a, w.c, w.reviewer):  # an unassigned reviewer does not read evidence
        problem(api.get(path, stranger), 404, "unknown-claim")
        problem(api.get(f"/v1/claims/{w.claim_b}/evidence", stranger), 404)
        problem(upload(api, stranger, w.claim_b, PDF, "application/pdf"), 404)
    for reader in (w.operator, w.auditor, investigator(w)):
        assert api.get(path, reader).content == PNG
    # A guessed evidence id, or one of another claim, is 404.
    problem(api.get(f"/v1/claims/{w.claim_b}/evidence/{item['id'] + 99}", w.b), 404)
    mine = ok(upload(api, w.a, w.claim_a, PDF, "application/pdf"), 201)
    problem(api.get(f"/v1/claims/{w.claim_b}/evidence/{mine['id']}", w.b), 404)


def test_a_file_reused_across_claims_is_flagged(w: World) -> None:
    api = w.api
    ok(upload(api, w.a, w.claim_a, PDF, "application/pdf"), 201)
    ok(upload(api, w.b, w.claim_b, PDF, "application/pdf"), 201)
    ivan = investigator(w)
    [listed] = ok(api.get(f"/v1/claims/{w.claim_b}/evidence", ivan))
    assert listed["reused_in_claims"] == [w.claim_a]
    codes = [f["code"] for f in ok(api.get(f"/v1/claims/{w.claim_b}/flags", w.reviewer))]
    assert "evidence-reused" in codes
    problem(api.get(f"/v1/claims/{w.claim_b}/flags", w.b), 403, "role-required")
    assert ok(api.get(f"/v1/claims/{w.claim_b}/flags", ivan))  # the assigned investigator


# --- investigation, announcement, objections -------------------------------------------------


def test_documents_announcement_and_an_upheld_objection(w: World) -> None:
    api, b = w.api, w.b
    ivan = investigator(w)
    asked = ok(
        api.post(
            f"/v1/claims/{w.claim_b}/documents-request",
            ivan,
            json={"what": "出院小结 (discharge summary)", "days": 5},
        )
    )
    assert asked["state"] == "documents_requested"
    ok(api.post(f"/v1/claims/{w.claim_b}/findings", ivan, json={"text": "hospital confirmed"}), 201)
    ok(upload(api, b, w.claim_b, PDF, "application/pdf"), 201)
    flow = ok(api.get(f"/v1/claims/{w.claim_b}/workflow", b))
    assert flow["claim"]["state"] == "under_investigation"
    assert "findings" not in [e["action"] for e in flow["events"]]  # internal to reviewers
    assert all(e["actor"] is None for e in flow["events"])
    staff_view = ok(api.get(f"/v1/claims/{w.claim_b}/workflow", ivan))
    assert "findings" in [e["action"] for e in staff_view["events"]]
    problem(api.post(f"/v1/claims/{w.claim_b}/announce", ivan), 403, "role-required")
    announced = ok(api.post(f"/v1/claims/{w.claim_b}/announce", w.reviewer))
    assert announced["state"] == "announced"
    [card] = ok(api.get(f"/v1/announcements?plan_id={PLAN}"))["items"]
    assert card["claim_id"] == w.claim_b and card["name"] == "王*国"
    assert "id_number" not in card and "hospital" not in card
    # Objections: members of the plan, once each, never the claimant, never someone else's id.
    objection = ok(
        api.post(f"/v1/claims/{w.claim_b}/objections", w.a, json={"reason": "诊断早于入会"}), 201
    )
    for caller, status, code in (
        (w.a, 409, "already-objected"),
        (b, 409, "own-claim"),
        (w.operator, 409, "not-a-member"),
    ):
        problem(
            api.post(f"/v1/claims/{w.claim_b}/objections", caller, json={"reason": "x"}),
            status,
            code,
        )
    seen = ok(api.get(f"/v1/claims/{w.claim_b}/objections", b))
    assert seen[0]["reason"] == "诊断早于入会" and seen[0]["objector_person_id"] is None
    review = {"outcome": "uphold", "explanation": "the medical record predates joining"}
    url = f"/v1/objections/{objection['id']}/review"
    problem(api.post(url, w.a, json=review), 403, "role-required")
    ok(api.post(url, w.reviewer, json=review))
    problem(api.post(url, w.reviewer, json=review), 409, "objection-reviewed")
    claim = ok(api.get(f"/v1/claims/{w.claim_b}", b))
    assert claim["state"] == "rejected" and claim["reason_code"] == "objection-upheld"
    kinds = [m["kind"] for m in ok(api.get("/v1/me/inbox", b))["items"]]
    assert kinds[-4:] == ["claim.documents-received", "claim.announced", "claim.objection",
                          "claim.rejected"]  # fmt: skip
    assert "objection.reviewed" in [m["kind"] for m in ok(api.get("/v1/me/inbox", w.a))["items"]]


def test_an_objection_after_the_window_is_refused(w: World) -> None:
    api = w.api
    ok(api.post(f"/v1/claims/{w.claim_b}/announce", w.reviewer))
    api.clock.now += timedelta(days=3, seconds=1)
    body = {"reason": "late"}
    r = api.post(f"/v1/claims/{w.claim_b}/objections", w.a, json=body)
    problem(r, 409, "objection-window-closed")
    assert api.count("claim_objections") == 0
    assert ok(api.get(f"/v1/announcements?plan_id={PLAN}"))["items"] == []
    # A claim that was never announced is not public: guessing it is 404.
    problem(api.post(f"/v1/claims/{w.claim_d}/objections", w.b, json=body), 404)
    sweep = ok(api.post("/v1/claims/finalize", w.operator, json={"plan_id": PLAN}))
    assert sweep == {"documents_expired": 0, "made_final": 1}
    assert ok(api.get(f"/v1/claims/{w.claim_b}", w.b))["state"] == "approved"


# --- appeals and juries -----------------------------------------------------------------------


def jurors(w: World) -> list[User]:
    """Seven members with accounts (a, the reviewer, five more) who pass the juror test. (C was
    paid in the world's round: their cover ended, so they are no longer a member.)"""
    api = w.api
    more = [api.member(f"juror{k}", name=f"陪审{k}") for k in range(5)]
    people = [w.a, w.reviewer, *more]
    api.clock.now += timedelta(days=31)  # members for at least 30 days
    for user in people:
        assert ok(api.post("/v1/juror-test", user, json=ANSWERS))["passed"] is True
    return people


def test_appeal_to_a_jury_that_overturns_the_rejection(w: World) -> None:
    api, b = w.api, w.b
    people = jurors(w)
    claim_rules(api, DRAWN_JURY)
    rejection = {"reason_code": "no-evidence", "explanation": "no hospital report"}
    ok(api.post(f"/v1/claims/{w.claim_b}/reject", w.reviewer, json=rejection))
    problem(api.post(f"/v1/claims/{w.claim_b}/appeal", w.a, json={"statement": "x"}), 404)
    appealed = ok(api.post(f"/v1/claims/{w.claim_b}/appeal", b, json={"statement": "见附件"}))
    assert appealed["state"] == "jury"
    seed = "beacon-2026-04-02-0001"
    problem(api.post(f"/v1/claims/{w.claim_b}/jury", b, json={"seed": seed}), 403, "role-required")
    jury = ok(api.post(f"/v1/claims/{w.claim_b}/jury", w.operator, json={"seed": seed}), 201)
    assert (jury["seed"], jury["jurors"], jury["eligible_count"]) == (seed, 7, 7)
    assert jury["result"] is None and jury["overturn"] is None  # sealed
    url = f"/v1/juries/{jury['id']}"
    duties = ok(api.get("/v1/me/jury-duties", w.a))
    assert duties[0]["appeal_statement"] == "见附件" and duties[0]["case"]["name"] == "王*国"
    problem(api.post(f"{url}/vote", b, json={"vote": "overturn"}), 403, "not-a-juror")
    problem(api.post(f"{url}/vote", w.operator, json={"vote": "overturn"}), 403, "not-a-juror")
    for user, choice in zip(
        people[:4], ("overturn", "overturn", "uphold", "overturn"), strict=True
    ):
        assert api.post(f"{url}/vote", user, json={"vote": choice}).status_code == 204
    problem(api.post(f"{url}/vote", people[0], json={"vote": "uphold"}), 409, "already-voted")
    assert api.post(f"{url}/decline", people[4]).status_code == 204
    seated = ok(api.get(url, w.a))
    assert (seated["jurors"], seated["declined"]) == (6, 1)  # all seven were drawn: none left
    assert api.post(f"{url}/vote", people[5], json={"vote": "overturn"}).status_code == 204
    problem(api.post(f"{url}/close", w.operator), 409, "jury-still-voting")
    assert ok(api.get(url, w.a))["overturn"] is None  # still sealed
    api.clock.now += timedelta(days=8)
    late = api.post(f"{url}/vote", people[6], json={"vote": "uphold"})
    problem(late, 409, "vote-deadline-passed")
    closed = ok(api.post(f"{url}/close", w.operator))
    assert (closed["result"], closed["overturn"], closed["uphold"]) == ("overturned", 4, 1)
    assert ok(api.get(f"/v1/claims/{w.claim_b}", b))["state"] == "announced"
    problem(api.post(f"{url}/close", w.operator), 409, "jury-closed")


def test_a_public_vote_through_the_api_shows_no_count_until_the_close(w: World) -> None:
    api, b = w.api, w.b
    people = jurors(w)
    claim_rules(api, 'jury_mode = "public"\njury_quorum = 3\njury_threshold_percent = 50\n')
    rejection = {"reason_code": "no-evidence", "explanation": "no hospital report"}
    ok(api.post(f"/v1/claims/{w.claim_b}/reject", w.reviewer, json=rejection))
    ok(api.post(f"/v1/claims/{w.claim_b}/appeal", b, json={"statement": "见附件"}))
    vote = ok(api.post(f"/v1/claims/{w.claim_b}/jury", w.operator, json={}), 201)
    assert (vote["mode"], vote["seed"], vote["quorum"], vote["threshold_percent"]) == (
        "public",
        "",
        3,
        50,
    )
    url = f"/v1/juries/{vote['id']}"
    for user, choice in zip(people[:4], ("overturn", "uphold", "overturn", "uphold"), strict=True):
        assert api.post(f"{url}/vote", user, json={"vote": choice}).status_code == 204
    problem(api.post(f"{url}/vote", people[0], json={"vote": "uphold"}), 409, "already-voted")
    problem(api.post(f"{url}/vote", b, json={"vote": "overturn"}), 403, "not-a-juror")
    for viewer in (w.a, w.operator, w.auditor):
        seen = ok(api.get(url, viewer))
        assert (seen["result"], seen["overturn"], seen["uphold"], seen["jurors"]) == (
            None,
            None,
            None,
            0,
        )
    problem(api.post(f"{url}/close", w.operator), 409, "jury-still-voting")
    api.clock.now += timedelta(days=8)
    closed = ok(api.post(f"{url}/close", w.operator))
    assert (closed["result"], closed["overturn"], closed["uphold"]) == ("overturned", 2, 2)
    assert ok(api.get(f"/v1/claims/{w.claim_b}", b))["state"] == "announced"


def test_an_appeal_after_the_deadline_is_refused(w: World) -> None:
    api = w.api
    rejection = {"reason_code": "no-evidence", "explanation": "no hospital report"}
    ok(api.post(f"/v1/claims/{w.claim_b}/reject", w.reviewer, json=rejection))
    api.clock.now += timedelta(days=30, seconds=1)
    r = api.post(f"/v1/claims/{w.claim_b}/appeal", w.b, json={"statement": "too late"})
    problem(r, 409, "appeal-deadline-passed")
    assert ok(api.get(f"/v1/claims/{w.claim_b}", w.b))["state"] == "rejected"


# --- the claimant's own steps, the inbox, and who may decide ----------------------------------


def test_withdrawal_and_the_private_inbox(w: World) -> None:
    api = w.api
    problem(api.post(f"/v1/claims/{w.claim_b}/withdraw", w.a), 404)
    problem(api.post(f"/v1/claims/{w.claim_b}/withdraw", w.reviewer), 404)
    assert ok(api.post(f"/v1/claims/{w.claim_b}/withdraw", w.b))["state"] == "withdrawn"
    mine = ok(api.get("/v1/me/inbox", w.b))["items"]
    assert [m["kind"] for m in mine] == ["claim.submitted", "claim.withdrawn"]
    assert {m["claim_id"] for m in mine} == {w.claim_b}
    # A guardian reads their dependant's messages; nobody reads anyone else's.
    a_claims = {m["claim_id"] for m in ok(api.get("/v1/me/inbox", w.a))["items"]}
    assert a_claims == {w.claim_a, w.claim_d}
    problem(api.post(f"/v1/me/inbox/{mine[0]['id']}/read", w.a), 404)
    assert api.post(f"/v1/me/inbox/{mine[0]['id']}/read", w.b).status_code == 204
    assert ok(api.get("/v1/me/inbox?unread=true", w.b))["items"][0]["id"] == mine[1]["id"]
    problem(api.get("/v1/me/inbox"), 401)


def test_decisions_need_the_reviewer_role_and_no_conflict_of_interest(w: World) -> None:
    api = w.api
    member_refused = [
        ("POST", f"/v1/claims/{w.claim_b}/announce", None),
        ("POST", f"/v1/claims/{w.claim_b}/reopen", {"reason": "x"}),
        ("POST", f"/v1/claims/{w.claim_b}/assign", {"account_id": w.a.account_id}),
        ("POST", f"/v1/claims/{w.claim_b}/documents-request", {"what": "x"}),
        ("POST", f"/v1/claims/{w.claim_b}/findings", {"text": "x"}),
        ("POST", f"/v1/claims/{w.claim_b}/jury", {}),
        ("POST", "/v1/claims/finalize", {}),
    ]
    for method, path, body in member_refused:
        problem(api.call(method, path, w.a, json=body), 403, "role-required")
    for own in (w.claim_r, w.claim_rd):
        problem(api.post(f"/v1/claims/{own}/announce", w.reviewer), 403, "conflict-of-interest")
        problem(
            api.post(f"/v1/claims/{own}/reopen", w.reviewer, json={"reason": "x"}),
            403,
            "conflict-of-interest",
        )
    reviewer_self = {"account_id": w.reviewer.account_id}
    r = api.post(f"/v1/claims/{w.claim_r}/assign", w.operator, json=reviewer_self)
    problem(r, 403, "conflict-of-interest")
    assert api.count("claim_events", "action = 'assigned'") == 0


def test_guessed_ids_are_404(w: World) -> None:
    api, a = w.api, w.a
    for path in (
        f"/v1/claims/{w.claim_b}/workflow",
        f"/v1/claims/{w.claim_b}/objections",
        f"/v1/claims/{w.claim_b}/evidence",
        f"/v1/claims/{w.claim_b + 1000}/workflow",
        "/v1/juries/999",
    ):
        problem(api.get(path, a), 404)
    problem(api.post("/v1/me/inbox/999/read", a), 404)
    review = {"outcome": "dismiss", "explanation": "x"}
    problem(api.post("/v1/objections/999/review", w.reviewer, json=review), 404)
    problem(api.post(f"/v1/claims/{w.claim_b + 1000}/announce", w.reviewer), 404)
