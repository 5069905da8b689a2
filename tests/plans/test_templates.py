"""Every shipped plan template loads and carries the public facts of the domain brief."""

from __future__ import annotations

from datetime import date, time
from importlib import resources

import pytest

from huzhu.domain.money import yuan
from huzhu.domain.plan_rules import Category, Severity
from huzhu.domain.plan_schedule import CollectionMode
from huzhu.domain.plans import Plan
from huzhu.plans.loader import TEMPLATE_IDS, load_catalogue, load_template, template_text


def template(plan_id: str) -> Plan:
    return load_template(plan_id)


@pytest.mark.parametrize("plan_id", TEMPLATE_IDS)
def test_template_loads_with_matching_id(plan_id: str) -> None:
    plan = template(plan_id)
    assert plan.id == plan_id
    assert plan.schema_version == 1
    assert plan.version >= 1


def test_template_files_and_ids_match() -> None:
    folder = resources.files("huzhu.plans").joinpath("templates")
    files = {p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")}
    assert files == set(TEMPLATE_IDS)


@pytest.mark.parametrize("plan_id", TEMPLATE_IDS)
def test_template_says_it_is_not_insurance(plan_id: str) -> None:
    plan = template(plan_id)
    assert plan.names.zh.strip()
    assert plan.names.en.strip()
    assert plan.summary is not None
    assert "not insurance" in plan.summary.en
    assert "not guaranteed" in plan.summary.en
    assert "不是保险" in plan.summary.zh
    assert "不保证" in plan.summary.zh


@pytest.mark.parametrize("plan_id", TEMPLATE_IDS)
def test_template_is_runnable(plan_id: str) -> None:
    plan = template(plan_id)
    # Every joining age has a payout band, so an eligible member is never left without a payout.
    min_age = plan.eligibility.min_age.years or 0
    max_age = plan.eligibility.max_age.years
    assert max_age is not None
    severities = [b.severity for b in plan.payout.bands]
    for age in range(min_age, max_age + 1):
        for severity in severities:
            assert plan.payout_for(age, severity) is not None, (age, severity)
    if plan.eligibility.exit_age_years is not None:
        assert plan.eligibility.exit_age_years > max_age
    # Money follows the collection mode.
    if plan.collection.mode is CollectionMode.PREPAID:
        assert plan.collection.minimum_balance is not None
        assert plan.collection.minimum_balance > 0
    else:
        assert plan.collection.retry_days is not None


@pytest.mark.parametrize("plan_id", [t for t in TEMPLATE_IDS if t != "xiang-hu-bao"])
def test_new_templates_state_their_assumptions(plan_id: str) -> None:
    assert template(plan_id).assumptions


def test_xiang_hu_bao() -> None:
    plan = template("xiang-hu-bao")
    assert plan.payout_for(39, None) == yuan(300_000) == 30_000_000
    assert plan.payout_for(40, None) == yuan(100_000) == 10_000_000
    assert plan.payout_for(59, None) == yuan(100_000)
    assert plan.payout_for(60, None) is None
    assert plan.management_fee_bp == 800
    assert plan.eligibility.min_age.days == 30
    assert plan.eligibility.max_age.years == 59
    assert plan.waiting.days_for(Category.CRITICAL_ILLNESS) == 90
    assert plan.waiting.days_for(Category.ACCIDENT) == 0
    assert plan.caps.per_case_per_member == 10
    assert plan.caps.per_year_per_member == yuan(188)


def test_xiang_hu_bao_calendar() -> None:
    cal = template("xiang-hu-bao").calendar
    assert cal.announce_dates(date(2024, 1, 1), date(2024, 2, 29)) == [
        date(2024, 1, 7),
        date(2024, 1, 21),
        date(2024, 2, 7),
        date(2024, 2, 21),
    ]
    assert cal.announce_dates(date(2024, 1, 8), date(2024, 1, 21)) == [date(2024, 1, 21)]
    assert cal.collect_date(date(2024, 1, 7)) == date(2024, 1, 14)
    assert cal.collect_date(date(2024, 2, 21)) == date(2024, 2, 28)
    lock = cal.lock_moment(date(2024, 2, 21))
    assert (lock.hour, lock.minute) == (0, 0)
    assert lock.utcoffset() is not None and lock.utcoffset().total_seconds() == 8 * 3600
    with pytest.raises(ValueError):
        cal.collect_date(date(2024, 1, 8))


def test_xiang_hu_bao_senior() -> None:
    plan = template("xiang-hu-bao-senior")
    assert plan.eligibility.min_age.years == 60
    assert plan.eligibility.max_age.years == 70
    assert plan.eligibility.exit_age_years == 71
    assert plan.cover.categories == (Category.CANCER,)
    assert plan.payout_for(65, Severity.MILD) == yuan(50_000) == 5_000_000
    assert plan.payout_for(65, Severity.SEVERE) == yuan(100_000)
    assert plan.payout_for(70, Severity.SEVERE) == yuan(100_000)
    assert plan.payout_for(59, Severity.SEVERE) is None
    assert plan.payout.maximum == yuan(100_000)
    assert plan.management_fee_bp == 800
    assert plan.caps.per_case_per_member == yuan(1)
    assert plan.calendar == template("xiang-hu-bao").calendar


def test_fosun_huzhu() -> None:
    plan = template("fosun-huzhu")
    assert plan.activation_threshold == 300_000
    assert plan.eligibility.min_age.days == 28
    assert plan.eligibility.max_age.years == 50
    assert set(plan.cover.categories) == {Category.CRITICAL_ILLNESS, Category.CANCER}
    assert plan.payout_for(39, None) == yuan(300_000)
    assert plan.payout_for(50, None) == yuan(100_000)
    assert any("105" in a for a in plan.assumptions)
    assert any("fee" in a for a in plan.assumptions)
    assert any("band" in a for a in plan.assumptions)


def test_xiaomi_huzhu() -> None:
    plan = template("xiaomi-huzhu")
    assert set(plan.cover.categories) == {
        Category.CRITICAL_ILLNESS,
        Category.CANCER,
        Category.CHILDHOOD_ILLNESS,
    }
    assert plan.payout.maximum == yuan(500_000)
    assert plan.payout_for(5, None) == yuan(500_000)
    assert plan.payout_for(30, None) == yuan(300_000)
    assert plan.payout_for(45, None) == yuan(100_000)
    assert any("band" in a for a in plan.assumptions)


def test_waterdrop_cancer() -> None:
    plan = template("waterdrop-cancer")
    assert plan.cover.categories == (Category.CANCER,)
    assert plan.payout.maximum == yuan(200_000)
    assert plan.payout_for(30, None) == yuan(200_000)
    assert plan.payout_for(30, Severity.MILD) == yuan(200_000)
    assert plan.summary is not None and "two" in plan.summary.en


def test_meituan_huzhu() -> None:
    plan = template("meituan-huzhu")
    assert plan.management_fee_bp == 800
    assert plan.payout.maximum == yuan(300_000)
    assert plan.collection.mode is CollectionMode.POSTPAID
    cal = plan.calendar
    assert cal.lock_time == time(0, 0)
    assert len(cal.rounds) == 3
    # Issue 9: Meituan announced on the 6th, 15th and 24th and collected on the 9th, 18th and 27th.
    assert cal.announce_dates(date(2024, 2, 1), date(2024, 2, 29)) == [
        date(2024, 2, 6),
        date(2024, 2, 15),
        date(2024, 2, 24),
    ]
    assert [
        cal.collect_date(d) for d in cal.announce_dates(date(2024, 3, 1), date(2024, 3, 31))
    ] == [
        date(2024, 3, 9),
        date(2024, 3, 18),
        date(2024, 3, 27),
    ]
    assert cal.lock_moment(date(2024, 3, 15)).isoformat() == "2024-03-15T00:00:00+08:00"
    assert not any("1st, 11th" in a for a in plan.assumptions)


def test_qingsong_huzhu() -> None:
    plan = template("qingsong-huzhu")
    assert plan.payout_for(30, None) == yuan(300_000)
    assert plan.payout_for(55, None) == yuan(300_000)
    c = plan.collection
    assert c.mode is CollectionMode.PREPAID
    assert c.initial_deposit == 1000
    assert c.reminder_balance == 500
    assert c.minimum_balance is not None and 0 < c.minimum_balance < c.reminder_balance


def test_dishui_accident() -> None:
    plan = template("dishui-accident")
    assert plan.eligibility.min_age.years == 1
    assert plan.eligibility.max_age.years == 65
    assert plan.eligibility.exit_age_years == 66
    assert plan.cover.categories == (Category.ACCIDENT,)
    assert plan.payout.by_disability_grade is True
    assert plan.payout.maximum == yuan(100_000)
    assert plan.payout_for(30, None) == yuan(100_000)
    assert plan.payout_for(30, None, disability_grade=1) == yuan(100_000)
    assert plan.payout_for(30, None, disability_grade=10) == yuan(10_000)
    assert plan.waiting.days_for(Category.ACCIDENT) == 30
    assert plan.caps.per_case_per_member == yuan(3)
    assert plan.collection.mode is CollectionMode.PREPAID
    assert plan.collection.minimum_balance == yuan(3)


def test_xiang_hu_bao_retries_a_failed_debit_for_five_days_from_the_next_day() -> None:
    # Issue 9: a failed debit is retried for 5 days from 0:00 the next day (the template said 3).
    for plan_id in ("xiang-hu-bao", "xiang-hu-bao-senior"):
        collection = template(plan_id).collection
        assert collection.retry_days == 5
        assert collection.retry_days_after(date(2024, 1, 14)) == (
            date(2024, 1, 15),
            date(2024, 1, 19),
        )
    # Across a month end the window runs on in days.
    assert template("xiang-hu-bao").collection.retry_days_after(date(2024, 2, 28)) == (
        date(2024, 2, 29),
        date(2024, 3, 4),
    )


def test_launch_dates_follow_public_reports() -> None:
    # Issue 9: Xiaomi Huzhu opened on 15 June 2020; Fosun Huzhu was reported in mid-2020.
    assert template("xiaomi-huzhu").effective_from == date(2020, 6, 15)
    assert not any("launch date was not found" in a for a in template("xiaomi-huzhu").assumptions)
    fosun = template("fosun-huzhu")
    assert fosun.effective_from.year == 2020 and 6 <= fosun.effective_from.month <= 8
    assert any("mid-2020" in a for a in fosun.assumptions)


@pytest.mark.parametrize("plan_id", ["didi-huzhu", "suning-huzhu"])
def test_seed_platforms_have_templates_that_say_what_is_assumed(plan_id: str) -> None:
    plan = template(plan_id)
    assert plan.collection.mode is CollectionMode.POSTPAID
    assert set(plan.cover.categories) == {Category.CRITICAL_ILLNESS, Category.CANCER}
    assert any("every value in this file is assumed" in a for a in plan.assumptions)
    assert any("launch date" in a for a in plan.assumptions)
    text = template_text(plan_id)
    assert "Sources:" in text.splitlines()[1]


def test_xiaomi_childhood_illness_is_claimable_only_under_its_age() -> None:
    plan = template("xiaomi-huzhu")
    kawasaki = load_catalogue().get("CH-01")
    assert plan.cover.childhood_max_age_years == 18
    assert plan.cover.covers(kawasaki)
    assert not plan.cover.too_old_for(kawasaki, 17)
    assert plan.cover.too_old_for(kawasaki, 18)
    assert not plan.cover.too_old_for(load_catalogue().get("CI-01"), 40)


def test_xiang_hu_bao_offers_its_senior_plan_at_the_exit_age() -> None:
    plan = template("xiang-hu-bao")
    senior = template("xiang-hu-bao-senior")
    assert plan.eligibility.successor_plan == senior.id
    assert plan.eligibility.exit_age_years == senior.eligibility.min_age.years
