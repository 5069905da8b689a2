"""Malformed plan files are refused with an error that names the field."""

from __future__ import annotations

from datetime import date

import pytest

from huzhu.domain.errors import InvalidInput
from huzhu.domain.plan_rules import (
    AgeLimit,
    Category,
    Condition,
    Cover,
    Payout,
    PayoutBand,
    Severity,
)
from huzhu.plans.loader import load_catalogue, load_plan_text, template_text

BASE = template_text("xiang-hu-bao")


def edit(old: str, new: str) -> str:
    """The Xiang Hu Bao template with exactly one change."""
    assert BASE.count(old) == 1, f"{old!r} must occur exactly once in the template"
    return BASE.replace(old, new)


def refused(text: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        load_plan_text(text, source="test.toml")
    err = info.value
    assert err.code == "plan-file-invalid"
    assert "test.toml" in err.message
    return err


def test_base_template_loads() -> None:
    assert load_plan_text(BASE).id == "xiang-hu-bao"


def test_float_amount_is_refused() -> None:
    err = refused(
        edit(
            '{ min_age_years = 0, max_age_years = 39, amount = "300000" }',
            "{ min_age_years = 0, max_age_years = 39, amount = 0.1 }",
        )
    )
    assert err.field == "payout.bands[0].amount"


def test_float_cap_is_refused() -> None:
    err = refused(edit('per_case_per_member = "0.10"', "per_case_per_member = 0.1"))
    assert err.field == "caps.per_case_per_member"


def test_whole_number_amount_is_accepted() -> None:
    plan = load_plan_text(edit('per_year_per_member = "188"', "per_year_per_member = 188"))
    assert plan.caps.per_year_per_member == 18_800


def test_negative_fee_is_refused() -> None:
    err = refused(edit("management_fee_bp = 800", "management_fee_bp = -800"))
    assert err.field == "management_fee_bp"


def test_missing_collection_is_refused() -> None:
    err = refused(edit('[collection]\nmode = "postpaid"\nretry_days = 5\n', ""))
    assert err.field == "collection"


def test_unknown_top_level_key_is_refused() -> None:
    err = refused(edit("activation_threshold = 0", "activation_threshold = 0\nbonus = 1"))
    assert err.field == "bonus"


def test_unknown_nested_key_is_refused() -> None:
    err = refused(edit("retry_days = 5", "retry_days = 5\ngrace_days = 3"))
    assert err.field == "collection.grace_days"


def test_bad_toml_syntax_is_refused() -> None:
    err = refused(edit("management_fee_bp = 800", "management_fee_bp = = 800"))
    assert "not valid TOML" in err.message
    assert err.field is None


def test_unknown_condition_code_is_refused() -> None:
    err = refused(
        edit(
            'categories = ["critical-illness", "cancer", "accident"]',
            'categories = ["critical-illness", "cancer", "accident"]\ninclude = ["CI-99"]',
        )
    )
    assert err.field == "cover.include"
    assert "CI-99" in err.message


def test_unknown_excluded_condition_code_is_refused() -> None:
    err = refused(
        edit(
            'exclude = ["CI-28", "CI-29"]',
            'exclude = ["XX-01"]',
        )
    )
    assert err.field == "cover.exclude"


def test_band_above_maximum_is_refused() -> None:
    err = refused(
        edit(
            '{ min_age_years = 40, max_age_years = 59, amount = "100000" }',
            '{ min_age_years = 40, max_age_years = 59, amount = "400000" }',
        )
    )
    # The check spans two fields, so the error is on `payout` and the message names the band.
    assert err.field == "payout"
    assert "bands[1].amount" in err.message


def test_prepaid_without_minimum_balance_is_refused() -> None:
    err = refused(edit('mode = "postpaid"', 'mode = "prepaid"'))
    assert err.field == "collection"
    assert "minimum_balance" in err.message


def test_postpaid_without_retry_days_is_refused() -> None:
    err = refused(edit("retry_days = 5\n", ""))
    assert err.field == "collection"
    assert "retry_days" in err.message


def test_age_limit_with_days_and_years_is_refused() -> None:
    err = refused(edit("min_age = { days = 30 }", "min_age = { days = 30, years = 0 }"))
    assert err.field == "eligibility.min_age"
    assert "exactly one" in err.message


def test_age_limit_with_neither_unit_is_refused() -> None:
    err = refused(edit("max_age = { years = 59 }", "max_age = {}"))
    assert err.field == "eligibility.max_age"


def test_round_day_after_28_is_refused() -> None:
    err = refused(
        edit("{ announce_day = 21, collect_day = 28 }", "{ announce_day = 21, collect_day = 29 }")
    )
    assert err.field == "calendar.rounds[1].collect_day"


def test_rounds_out_of_order_are_refused() -> None:
    err = refused(
        edit("{ announce_day = 7, collect_day = 14 }", "{ announce_day = 22, collect_day = 14 }")
    )
    assert err.field == "calendar"


def test_every_error_is_listed_in_the_message() -> None:
    text = edit("management_fee_bp = 800", "management_fee_bp = -800")
    text = text.replace("retry_days = 5", "retry_days = 5\ngrace_days = 3")
    err = refused(text)
    assert "management_fee_bp" in err.message
    assert "collection.grace_days" in err.message


@pytest.mark.parametrize(
    ("amount", "fixed_by"),
    [("-5", "negative"), ("0.001", "precision"), ("abc", "malformed")],
)
def test_unparseable_amount_names_the_field(amount: str, fixed_by: str) -> None:
    text = edit('per_year_per_member = "188"', f'per_year_per_member = "{amount}"')
    with pytest.raises(InvalidInput) as info:
        load_plan_text(text)
    assert info.value.code == "plan-file-invalid", fixed_by
    assert info.value.field == "caps.per_year_per_member"


def test_zero_band_amount_is_refused() -> None:
    err = refused(
        edit(
            '{ min_age_years = 40, max_age_years = 59, amount = "100000" }',
            '{ min_age_years = 40, max_age_years = 59, amount = "0" }',
        )
    )
    assert err.field == "payout.bands[1].amount"


# --- the model's own rules -------------------------------------------------------------------


def accident_plan_payout() -> Payout:
    return Payout(
        bands=(PayoutBand(min_age_years=1, max_age_years=65, amount="100000"),),
        maximum="100000",
        by_disability_grade=True,
    )


def test_payout_by_disability_grade() -> None:
    plan = load_plan_text(BASE).model_copy(update={"payout": accident_plan_payout()})
    assert plan.payout_for(30, None) == 10_000_000
    assert plan.payout_for(30, None, disability_grade=1) == 10_000_000
    assert plan.payout_for(30, None, disability_grade=5) == 6_000_000
    assert plan.payout_for(30, None, disability_grade=10) == 1_000_000
    assert plan.payout_for(66, None, disability_grade=1) is None


def test_disability_grade_ignored_without_by_disability_grade() -> None:
    plan = load_plan_text(BASE)
    assert plan.payout_for(30, None, disability_grade=10) == 30_000_000


def test_payout_band_severity() -> None:
    band = PayoutBand(min_age_years=60, max_age_years=70, severity=Severity.MILD, amount="50000")
    assert band.amount == 5_000_000
    assert band.matches(60, Severity.MILD)
    assert not band.matches(60, Severity.SEVERE)
    assert not band.matches(60, None)
    assert not band.matches(71, Severity.MILD)


def test_cover_include_and_exclude() -> None:
    catalogue = load_catalogue()
    heart = catalogue.get("CI-01")
    tumour = catalogue.get("CA-01")
    kawasaki = catalogue.get("CH-01")
    cover = Cover(categories=(Category.CRITICAL_ILLNESS,), include=("CH-01",), exclude=("CI-01",))
    assert not cover.covers(heart)  # excluded although its category is covered
    assert cover.covers(catalogue.get("CI-02"))  # covered by category
    assert cover.covers(kawasaki)  # included although its category is not covered
    assert not cover.covers(tumour)  # neither category nor included
    both = Cover(categories=(Category.CANCER,), include=("CA-01",), exclude=("CA-01",))
    assert not both.covers(tumour)  # exclude wins over include


def test_condition_codes_of_the_catalogue() -> None:
    catalogue = load_catalogue()
    assert catalogue.get("CA-02").severity is Severity.MILD
    assert catalogue.get("AC-02").category is Category.ACCIDENT
    with pytest.raises(InvalidInput) as info:
        catalogue.get("ZZ-01")
    assert info.value.code == "unknown-condition"
    assert Condition(code="AC-99", zh="测试", en="test", category=Category.ACCIDENT)


def test_age_limit_model() -> None:
    assert AgeLimit(days=28).describe() == "28 days"
    assert AgeLimit(years=50).describe() == "50 years"
    with pytest.raises(ValueError):
        AgeLimit(days=28, years=0)
    with pytest.raises(ValueError):
        AgeLimit()


def test_collect_date_in_the_next_month() -> None:
    text = edit(
        "  { announce_day = 21, collect_day = 28 },\n",
        "  { announce_day = 21, collect_day = 5 },\n",
    )
    cal = load_plan_text(text).calendar
    assert cal.collect_date(date(2024, 1, 21)) == date(2024, 2, 5)


@pytest.mark.parametrize("grade", [0, 11, 15])
def test_disability_grade_out_of_range_is_refused(grade: int) -> None:
    plan = load_plan_text(BASE).model_copy(update={"payout": accident_plan_payout()})
    with pytest.raises(InvalidInput) as info:
        plan.payout_for(30, None, disability_grade=grade)
    assert info.value.code == "disability-grade-invalid"
