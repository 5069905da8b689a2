"""Announcing a claim with a payout other than the plan's rule (issue 10): only an operator, with a
stated reason; the override goes in the audit log and on the public card. Otherwise the payout is
the plan's rule, whatever a reviewer sends. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from apikit import PLAN, Api, User, problem

RULE_45 = 10_000_000  # xiang-hu-bao: 100,000 yuan at 40-59
ASKED = 30_000_000  # the under-40 band's 300,000 yuan


def a_claim_at_45(api: Api) -> int:
    member = api.member("lin", name="林国栋", birth=date(1980, 6, 1))
    return api.claim(member, member.memberships[PLAN])


def announce(api: Api, user: User, claim_id: int, **body: Any) -> Any:
    return api.post(f"/v1/claims/{claim_id}/announce", user, json=body or None)


def as_json(value: Any) -> Any:
    """A JSON column read with plain SQL: text on SQLite, decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def cards(api: Api, claim_id: int) -> list[Any]:
    rows = api.rows(
        "SELECT payload FROM public_log WHERE kind = 'case-announced' AND subject = :s",
        s=f"claim:{claim_id}",
    )
    return [as_json(r.payload) for r in rows]


def test_a_reviewer_cannot_override_the_plans_payout(api: Api) -> None:
    claim_id = a_claim_at_45(api)
    reviewer = api.account("rita", "reviewer")
    r = announce(api, reviewer, claim_id, payout_fen=ASKED, reason="she asked")
    problem(r, 403, "payout-override-forbidden")
    assert api.count("claims", "id = :c AND state = 'submitted'", c=claim_id) == 1
    assert cards(api, claim_id) == []
    # Without an amount, or with the rule's own amount, the payout is the plan's rule.
    r = announce(api, reviewer, claim_id, payout_fen=RULE_45)
    assert r.status_code == 200, r.text
    assert r.json()["payout"]["fen"] == RULE_45
    [card] = cards(api, claim_id)
    assert card["payout"] == RULE_45 and "payout_override" not in card
    [shown] = api.get("/v1/announcements").json()["items"]
    assert shown["payout_override"] is None
    assert api.count("audit_log", "action = 'claim.payout-override'") == 0


def test_an_operator_overrides_with_a_reason_audited_and_shown(api: Api) -> None:
    claim_id = a_claim_at_45(api)
    operator = api.account("olga", "reviewer", "operator")
    problem(announce(api, operator, claim_id, payout_fen=ASKED), 400, "override-reason-required")
    problem(
        announce(api, operator, claim_id, payout_fen=ASKED, reason="  "),
        400,
        "override-reason-required",
    )
    assert cards(api, claim_id) == []
    reason = "the hospital's records put the diagnosis before her 40th birthday"
    r = announce(api, operator, claim_id, payout_fen=ASKED, reason=reason)
    assert r.status_code == 200, r.text
    assert r.json()["payout"]["fen"] == ASKED
    [logged] = api.rows(
        "SELECT actor_account_id, details FROM audit_log WHERE action = 'claim.payout-override'"
    )
    details = as_json(logged.details)
    assert logged.actor_account_id == operator.account_id
    assert (details["rule_payout"], details["payout"], details["reason"]) == (
        RULE_45,
        ASKED,
        reason,
    )
    [card] = cards(api, claim_id)
    assert card["payout"] == ASKED
    assert card["payout_override"] == {"rule_payout": RULE_45, "reason": reason}
    [shown] = api.get("/v1/announcements").json()["items"]
    assert shown["payout"]["fen"] == ASKED
    assert shown["payout_override"]["rule_payout"]["fen"] == RULE_45
    assert shown["payout_override"]["reason"] == reason


def test_approving_without_an_amount_pays_the_rule(api: Api) -> None:
    claim_id = a_claim_at_45(api)
    reviewer = api.account("rita", "reviewer")
    r = api.post(f"/v1/claims/{claim_id}/approve", reviewer)
    assert r.status_code == 200, r.text
    assert r.json()["payout"]["fen"] == RULE_45
