"""Issue 9, promotions: a round the operator marked as its own to pay charges members 0, is
booked as backstop, and shows on the member's statement page as paid by the operator."""

from __future__ import annotations

from webkit import Api, Web, text_of

from api.apikit import AFTER_LOCK, PLAN, ROUND_DAY


def test_an_operator_paid_round_charges_members_nothing_and_shows_on_the_statement(
    api: Api, web: Web
) -> None:
    operator = api.account("operator", "operator")
    reviewer = api.account("rita", "reviewer")
    alice = api.member("alice", name="李明华")
    carol = api.member("carol", name="吴小漫")
    claim = api.claim(carol, carol.memberships[PLAN])
    assert api.post(f"/v1/claims/{claim}/approve", reviewer).status_code == 200
    body = {"first_date": ROUND_DAY.isoformat(), "last_date": ROUND_DAY.isoformat(),
            "note": "the first month is free"}  # fmt: skip
    refused = api.post(f"/v1/plans/{PLAN}/operator-paid", alice, json=body, key="p1")
    assert refused.status_code == 403
    marked = api.post(f"/v1/plans/{PLAN}/operator-paid", operator, json=body, key="p1")
    assert marked.status_code == 201, marked.text
    assert marked.json()["reason"] == "promotion"
    api.clock.now = AFTER_LOCK
    r = api.run_round(operator, ROUND_DAY)
    assert r.status_code == 201, r.text
    round_ = api.rows("SELECT * FROM rounds WHERE id = :r", r=int(r.json()["id"]))[0]
    assert round_.cases == 1 and round_.share > 0
    assert round_.collected == 0
    assert round_.backstop == round_.payouts + round_.fee - round_.carry_in
    assert api.count("member_charges") == 0
    logged = api.count("public_log", "kind = 'round-operator-paid'")
    assert logged == 1 and api.count("public_log", "kind = 'operator-paid-period'") == 1
    mine = api.get(f"/v1/memberships/{alice.memberships[PLAN]}/statement", alice).json()
    assert mine["charges"] == []
    assert [(p["announce_date"], p["reason"]) for p in mine["operator_paid"]] == [
        (ROUND_DAY.isoformat(), "promotion")
    ]
    page = web.signed_in(alice).get(f"/me/plans/{alice.memberships[PLAN]}/statement")
    assert page.status_code == 200
    text = text_of(page)
    assert "由运营方代付的轮次" in text and "运营方优惠" in text and str(ROUND_DAY) in text
    english = web.signed_in(alice, lang="en").get(f"/me/plans/{alice.memberships[PLAN]}/statement")
    assert "Rounds paid by the operator" in text_of(english)
