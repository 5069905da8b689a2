"""A prepaid member's statement, in the API and on the portal, lists the money into and out of
their balance; another member cannot see it; a post-paid statement is as it was."""

from __future__ import annotations

from webkit import Api, Web, text_of

from api.apikit import World
from money.moneykit import Sandbox

PREPAID = "qingsong-huzhu"  # a 10-yuan deposit, asked through the gateway on joining
POST_PAID_KEYS = {
    "membership_id", "plan_id", "status", "plan_version", "balance", "total_paid",
    "people_helped", "charges", "summary", "operator_paid",
}  # fmt: skip


def test_a_prepaid_member_sees_their_deposit_and_top_ups_and_no_one_else_does(
    api: Api, web: Web
) -> None:
    alice = api.member("alice", plan=PREPAID, name="李明华")
    bob = api.member("bob", plan=PREPAID, name="王建国")
    m = alice.memberships[PREPAID]
    box = Sandbox(api.engine)
    box.set(failure_bp=0)
    box.drain(api.clock())  # the deposits asked on joining arrive
    paid = api.post(f"/v1/memberships/{m}/top-ups", alice, json={"amount_fen": 2550}, key="t-1")
    assert paid.status_code == 201, paid.text
    r = api.get(f"/v1/memberships/{m}/statement", alice)
    assert r.status_code == 200, r.text
    s = r.json()
    moves = s["balance_moves"]
    assert [(x["kind"], x["amount"]["fen"]) for x in moves] == [("top-up", 2550), ("deposit", 1000)]
    assert s["balance"]["fen"] == 2550 + 1000 - s["total_paid"]["fen"]
    assert all(x["at"].endswith("+08:00") for x in moves)  # Beijing time
    assert moves[1]["reference"].startswith(f"{PREPAID}-topup-")
    assert s["balance_moves_next_cursor"] is None
    # paged by keyset: one at a time, newest first
    first = api.get(f"/v1/memberships/{m}/statement?moves_limit=1", alice).json()
    assert [x["kind"] for x in first["balance_moves"]] == ["top-up"]
    cursor = first["balance_moves_next_cursor"]
    second = api.get(f"/v1/memberships/{m}/statement?moves_limit=1&moves_cursor={cursor}", alice)
    assert [x["kind"] for x in second.json()["balance_moves"]] == ["deposit"]
    # bob: alice's statement answers like one that does not exist, in the API and on the portal
    for query in ("", f"?moves_limit=1&moves_cursor={cursor}"):
        refused = api.get(f"/v1/memberships/{m}/statement{query}", bob)
        assert refused.status_code == 404 and refused.json()["code"] == "unknown-membership"
    page = web.signed_in(bob).get(f"/me/plans/{m}/statement")
    assert page.status_code == 404 and "25.50" not in page.text and "李明华" not in page.text
    # alice's page, in both languages
    mine = web.signed_in(alice).get(f"/me/plans/{m}/statement")
    assert mine.status_code == 200
    text = text_of(mine)
    assert "余额的存入与支出" in text and "押金" in text and "充值" in text and "25.50" in text
    english = text_of(web.signed_in(alice, lang="en").get(f"/me/plans/{m}/statement"))
    assert "Money in and out of the balance" in english and "Deposit" in english
    older = web.signed_in(alice).get(f"/me/plans/{m}/statement?before={moves[0]['id']}")
    assert "押金" in text_of(older) and "25.50" not in text_of(older)


def test_a_post_paid_statement_is_unchanged(api: Api, web: Web, world: World) -> None:
    s = api.get(f"/v1/memberships/{world.m_a}/statement", world.a)
    assert s.status_code == 200, s.text
    assert set(s.json()) == POST_PAID_KEYS
    page = web.signed_in(world.a).get(f"/me/plans/{world.m_a}/statement")
    assert page.status_code == 200 and 'id="balance-moves"' not in page.text
