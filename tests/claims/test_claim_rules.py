"""The claim process's numbers are plan rules: an optional `[claims]` table, defaults otherwise."""

from __future__ import annotations

import pytest
from claimkit import plan_text

from huzhu.domain.claims import rule_quote
from huzhu.domain.errors import InvalidInput
from huzhu.domain.plan_schedule import ClaimRules
from huzhu.plans.loader import load_plan_text, load_templates


def test_templates_without_a_claims_table_get_the_defaults() -> None:
    for plan in load_templates():
        if plan.id != "xiang-hu-bao":
            assert plan.claims == ClaimRules(), plan.id
    rules = ClaimRules()
    assert (rules.objection_window_days, rules.appeal_days, rules.juror_min_member_days) == (
        3,
        30,
        30,
    )


def test_a_claims_table_sets_them() -> None:
    plan = load_plan_text(plan_text())
    assert (plan.claims.jury_size, plan.claims.jury_quorum) == (5, 3)
    assert "documents_days = 14" in (rule_quote(plan, "documents-not-provided") or "")
    assert rule_quote(plan, "no-such-rule") is None


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("jury_size = 5", "jury_size = 2", "claims"),  # a quorum of 3 above a jury of 2
        ("objection_window_days = 3", "objection_window_days = -1", "objection_window_days"),
    ],
)
def test_bad_claim_rules_are_refused_naming_the_field(old: str, new: str, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        load_plan_text(plan_text().replace(old, new))
    assert field in str(refused.value)


def test_xiang_hu_bao_votes_in_public_with_its_published_numbers() -> None:
    """Any member who passed the juror test and has been a member 30 days votes; a case needs
    more than 1,000 valid votes, and 50% or more in favour pays it."""
    rules = next(p for p in load_templates() if p.id == "xiang-hu-bao").claims
    assert rules.jury_mode == "public"
    assert (rules.jury_quorum, rules.jury_threshold_percent) == (1001, 50)
    assert rules.juror_min_member_days == 30
