"""The claim queue and a claim's review in the console, through the same services as the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from consolekit import Browser, World, browser

from huzhu.storage.evidence import LocalEvidenceStore

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"


@pytest.fixture
def w(world: World, tmp_path: Path) -> World:
    world.api.app.state.evidence_store = LocalEvidenceStore(tmp_path / "evidence")
    r = world.api.post(
        f"/v1/claims/{world.claim_b}/evidence?filename=report.pdf",
        world.b,
        content=PDF,
        headers={"Content-Type": "application/pdf"},
    )
    assert r.status_code in (200, 201), r.text
    return world


def test_the_queue_lists_submitted_claims_with_their_flags_and_pages_by_cursor(
    w: World, reviewer: Browser
) -> None:
    r = reviewer.get("/console/claims?state=submitted")
    assert r.status_code == 200
    for claim_id in (w.claim_a, w.claim_b, w.claim_d):
        assert f'href="/console/claims/{claim_id}"' in r.text
    assert f'href="/console/claims/{w.claim_c}"' not in r.text  # shared: another tab
    after = reviewer.get(f"/console/claims?state=submitted&after={w.claim_b}")
    assert f'href="/console/claims/{w.claim_a}"' not in after.text
    assert f'href="/console/claims/{w.claim_r}"' in after.text


def test_fraud_flags_are_worded_in_the_pages_language(w: World, reviewer: Browser) -> None:
    english = reviewer.get(f"/console/claims/{w.claim_b}").text
    assert "other claim(s) diagnosed on" in english
    reviewer.client.headers.pop("Accept-Language")
    chinese = reviewer.get(f"/console/claims/{w.claim_b}").text
    assert "<code>date-cluster</code> 另有 " in chinese and "个申请确诊于 " in chinese
    assert "other claim(s)" not in chinese and "waiting period ended" not in chinese
    queue = reviewer.get("/console/claims?state=submitted").text
    assert 'title="另有 ' in queue and "other claim(s)" not in queue


def test_evidence_is_served_to_the_assigned_reviewer_only(w: World, reviewer: Browser) -> None:
    page = reviewer.get(f"/console/claims/{w.claim_b}")
    assert page.status_code == 200
    assert "王*国" in page.text and "王建国" not in page.text  # the claimant's name masked
    assert "/evidence/" not in page.text
    evidence_id = w.api.rows("select id from claim_evidence")[0][0]
    url = f"/console/claims/{w.claim_b}/evidence/{evidence_id}"
    assert reviewer.get(url).status_code == 404
    assert reviewer.post(f"/console/claims/{w.claim_b}/assign").status_code == 303
    page = reviewer.get(f"/console/claims/{w.claim_b}")
    assert url in page.text
    got = reviewer.get(url)
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["cache-control"] == "private, no-store"
    assert "sandbox" in got.headers["content-security-policy"]
    assert browser(w.api, w.auditor).get(url).status_code == 200  # auditors read, as in the API
    assert browser(w.api, w.a).get(url).status_code == 403
    assert browser(w.api, None).get(url).status_code == 303


def test_a_reviewer_announces_a_claim_and_dismisses_an_objection(
    w: World, reviewer: Browser
) -> None:
    api = w.api
    r = reviewer.post(f"/console/claims/{w.claim_b}/announce")
    assert r.status_code == 303, r.text
    assert api.rows("select state, payout from claims where id = :i", i=w.claim_b)[0][0] == (
        "announced"
    )
    logged = api.rows(
        "select actor_account_id from audit_log where action = 'claim.announced' and subject = :s",
        s=f"claim:{w.claim_b}",
    )
    assert logged == [(w.reviewer.account_id,)]
    objected = api.post(f"/v1/claims/{w.claim_b}/objections", w.a, json={"reason": "诊断早于入会"})
    assert objected.status_code == 201, objected.text
    page = reviewer.get(f"/console/claims/{w.claim_b}")
    assert "诊断早于入会" in page.text and "Objections until" in page.text
    objection_id = objected.json()["id"]
    url = f"/console/claims/{w.claim_b}/objections/{objection_id}"
    assert (
        reviewer.post(url, {"outcome": "dismiss", "explanation": "the record is later"}).status_code
        == 303
    )
    assert api.rows("select status from claim_objections where id = :i", i=objection_id) == [
        ("dismissed",)
    ]


def test_a_refused_action_says_why_beside_the_form_and_changes_nothing(
    w: World, reviewer: Browser
) -> None:
    before = w.api.count("audit_log")
    r = reviewer.post(f"/console/claims/{w.claim_a}/reject", {"reason_code": "", "explanation": ""})
    assert r.status_code == 400, r.text  # InvalidInput's status, as the API answers
    assert 'role="alert"' in r.text
    assert w.api.rows("select state from claims where id = :i", i=w.claim_a) == [("submitted",)]
    assert w.api.count("audit_log") == before
    # A reviewer never decides their own claim: the service's conflict check answers.
    own = reviewer.post(f"/console/claims/{w.claim_r}/announce")
    assert own.status_code == 403 and 'role="alert"' in own.text
    assert w.api.rows("select state from claims where id = :i", i=w.claim_r) == [("submitted",)]


def test_a_rejection_quotes_the_rule_and_documents_get_a_deadline(
    w: World, reviewer: Browser
) -> None:
    r = reviewer.post(
        f"/console/claims/{w.claim_a}/reject",
        {"reason_code": "in-waiting-period", "explanation": "diagnosed while waiting"},
    )
    assert r.status_code == 303, r.text
    text = w.api.rows("select reason_text from claims where id = :i", i=w.claim_a)[0][0]
    assert "rule: [waiting]" in text
    r = reviewer.post(f"/console/claims/{w.claim_d}/documents", {"what": "出院小结", "days": "10"})
    assert r.status_code == 303, r.text
    page = reviewer.get(f"/console/claims/{w.claim_d}")
    assert "出院小结" in page.text and "documents_requested" in page.text


def test_operators_and_auditors_read_the_claim_but_do_not_decide(
    w: World, auditor: Browser
) -> None:
    page = auditor.get(f"/console/claims/{w.claim_b}")
    assert page.status_code == 200 and "Approve and announce" not in page.text
    r = auditor.post(f"/console/claims/{w.claim_b}/announce")
    assert r.status_code == 403
    assert w.api.rows("select state from claims where id = :i", i=w.claim_b) == [("submitted",)]
