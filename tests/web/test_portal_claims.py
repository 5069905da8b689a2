"""Claims in the portal: submit with evidence, progress, documents, appeal; objections; juries."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from webkit import PDF, Web, World, text_of

from api.apikit import DRAWN_JURY, User, claim_rules
from huzhu.domain.jury import QUESTIONS
from huzhu.storage.evidence import LocalEvidenceStore

ANSWERS = {"answers": {q.id: q.answer for q in QUESTIONS}}


@pytest.fixture
def w(world: World, tmp_path: Path) -> World:
    world.api.app.state.evidence_store = LocalEvidenceStore(tmp_path / "evidence")
    return world


def _submit(web: Web, w: World, file: tuple[str, bytes, str] | None) -> object:
    browser = web.signed_in(w.b)
    form = {
        "membership": str(w.m_b),
        "condition_code": "AC-01",
        "diagnosis_date": w.api.today().isoformat(),
        "hospital": "北京协和医院",
    }
    files = {"file": file} if file else None
    return web.post(browser, "/me/claims/new", form, files=files), browser


def test_submit_a_claim_with_evidence_and_follow_it(web: Web, w: World) -> None:
    before = w.api.count("claims")
    page = web.signed_in(w.b).get("/me/claims/new")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    r, browser = _submit(web, w, ("report.pdf", PDF, "application/pdf"))
    assert r.status_code == 303, text_of(r)  # type: ignore[attr-defined]
    found = re.fullmatch(r"/me/claims/(\d+)\?submitted=1", r.headers["location"])  # type: ignore[attr-defined]
    assert found
    claim_id = int(found.group(1))
    assert w.api.count("claims") == before + 1
    assert w.api.count("claim_evidence", "claim_id = :c", c=claim_id) == 1
    detail = text_of(browser.get(r.headers["location"]))  # type: ignore[attr-defined]
    assert "您的申请已提交" in detail and "北京协和医院" in detail and "已提交" in detail
    listing = text_of(browser.get("/me/claims"))  # type: ignore[attr-defined]
    assert "已提交" in listing


def test_a_claim_without_a_proper_file_writes_nothing(web: Web, w: World) -> None:
    before = w.api.count("claims")
    r, _ = _submit(web, w, ("virus.exe", b"MZ\x90\x00 not a pdf", "application/pdf"))
    assert r.status_code in (400, 415, 422), r.status_code  # type: ignore[attr-defined]
    assert "请上传 PDF、JPEG 或 PNG 文件" in text_of(r)  # type: ignore[arg-type]
    assert w.api.count("claims") == before


def test_answer_a_document_request_with_a_file(web: Web, w: World) -> None:
    api = w.api
    r = api.post(
        f"/v1/claims/{w.claim_b}/assign", w.reviewer, json={"account_id": w.reviewer.account_id}
    )
    assert r.status_code == 200, r.text
    r = api.post(f"/v1/claims/{w.claim_b}/documents-request", w.reviewer,
                 json={"what": "the discharge summary", "days": 7})  # fmt: skip
    assert r.status_code == 200, r.text
    browser = web.signed_in(w.b)
    page = browser.get(f"/me/claims/{w.claim_b}")
    assert "提交所需材料" in text_of(page)
    up = web.post(
        browser,
        f"/me/claims/{w.claim_b}/evidence",
        files={"file": ("s.pdf", PDF, "application/pdf")},
    )
    assert up.status_code == 303, text_of(up)
    state = api.get(f"/v1/claims/{w.claim_b}", w.b).json()["state"]
    assert state == "under_investigation"


def test_object_to_an_announced_case_as_a_member(web: Web, w: World) -> None:
    api = w.api
    assert api.post(f"/v1/claims/{w.claim_b}/announce", w.reviewer).status_code == 200
    browser = web.signed_in(w.a)
    page = browser.get("/announcements")
    assert f'action="/announcements/{w.claim_b}/object"' in page.text
    r = web.post(browser, f"/announcements/{w.claim_b}/object", {"reason": "我认识他，他没有住院"})
    assert r.status_code == 303
    assert "您的异议已记录" in text_of(browser.get(r.headers["location"]))
    assert api.count("claim_objections", "claim_id = :c", c=w.claim_b) == 1
    again = web.post(browser, f"/announcements/{w.claim_b}/object", {"reason": "again"})
    assert again.status_code == 409 and "您已对此案例提出过异议" in text_of(again)


def _jurors(w: World) -> list[User]:
    api = w.api
    more = [api.member(f"juror{k}", name=f"陪审{k}") for k in range(5)]
    people = [w.a, w.reviewer, *more]
    api.clock.now += timedelta(days=31)
    for user in people:
        assert api.post("/v1/juror-test", user, json=ANSWERS).json()["passed"] is True
    return people


def test_appeal_then_a_juror_votes_sealed_without_seeing_who(web: Web, w: World) -> None:
    api = w.api
    people = _jurors(w)
    claim_rules(api, DRAWN_JURY)
    rejection = {"reason_code": "no-evidence", "explanation": "no hospital report"}
    assert api.post(f"/v1/claims/{w.claim_b}/reject", w.reviewer, json=rejection).status_code == 200
    claimant = web.signed_in(w.b, "en")
    page = claimant.get(f"/me/claims/{w.claim_b}")
    assert "Appeal to a jury of members" in text_of(page) and "no hospital report" in text_of(page)
    r = web.post(claimant, f"/me/claims/{w.claim_b}/appeal", {"statement": "见附件"})
    assert r.status_code == 303
    assert api.get(f"/v1/claims/{w.claim_b}", w.b).json()["state"] == "jury"
    drawn = api.post(
        f"/v1/claims/{w.claim_b}/jury", w.operator, json={"seed": "beacon-2026-04-02-0001"}
    )
    assert drawn.status_code == 201, drawn.text
    jury = drawn.json()
    juror = web.signed_in(people[0])
    duty = juror.get("/me/jury")
    text = text_of(duty)
    assert "见附件" in text and "no hospital report" in text
    assert "王" not in text  # no name, not even masked
    r = web.post(juror, f"/me/jury/{jury['id']}/vote", {"vote": "overturn"})
    assert r.status_code == 303
    assert "您的投票已密封" in text_of(juror.get(r.headers["location"]))
    again = web.post(juror, f"/me/jury/{jury['id']}/vote", {"vote": "uphold"})
    assert again.status_code == 409 and "您已经投过票" in text_of(again)
    outsider = web.post(web.signed_in(w.b), f"/me/jury/{jury['id']}/vote", {"vote": "uphold"})
    assert outsider.status_code == 403
    assert api.get(f"/v1/juries/{jury['id']}", w.a).json()["overturn"] is None  # still sealed


def test_a_public_vote_is_open_to_every_member_who_may_sit(web: Web, w: World) -> None:
    api = w.api
    people = _jurors(w)
    claim_rules(api, 'jury_mode = "public"\njury_quorum = 3\njury_threshold_percent = 50\n')
    rejection = {"reason_code": "no-evidence", "explanation": "no hospital report"}
    assert api.post(f"/v1/claims/{w.claim_b}/reject", w.reviewer, json=rejection).status_code == 200
    assert api.post(f"/v1/claims/{w.claim_b}/appeal", w.b, json={"statement": "见附件"}).is_success
    opened = api.post(f"/v1/claims/{w.claim_b}/jury", w.operator, json={})
    assert opened.status_code == 201, opened.text
    jury_id = opened.json()["id"]
    voter = web.signed_in(people[2])  # nobody was drawn: any member who passed the test
    page = text_of(voter.get("/me/jury"))
    assert "公开投票" in page and "见附件" in page and "王" not in page
    r = web.post(voter, f"/me/jury/{jury_id}/vote", {"vote": "overturn"})
    assert r.status_code == 303
    assert "您已投票" in text_of(voter.get("/me/jury"))
    again = web.post(voter, f"/me/jury/{jury_id}/vote", {"vote": "uphold"})
    assert again.status_code == 409 and "您已经投过票" in text_of(again)
    claimant = text_of(web.signed_in(w.b).get("/me/jury"))
    assert "公开投票" not in claimant  # the claimant does not judge their own case
