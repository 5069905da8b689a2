"""Who may join, and a membership's lifecycle: waiting, covered, left, exit at the plan's age."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huzhu.domain.eligibility import Applicant, check_eligibility
from huzhu.domain.errors import Conflict, Report
from huzhu.domain.members import LeaveReason, Lifecycle, Membership, Status, exit_date
from huzhu.domain.plan_rules import Category
from huzhu.domain.plans import Plan
from huzhu.plans.loader import TEMPLATE_IDS, load_template

TODAY = date(2025, 6, 1)
XHB = load_template("xiang-hu-bao")
SENIOR = load_template("xiang-hu-bao-senior")
DISHUI = load_template("dishui-accident")

XHB_HEALTHY = {"no-current-critical-illness": False, "no-pending-tests": False}
SENIOR_HEALTHY = {"no-current-cancer": False, "no-pending-tests": False}
DISHUI_HEALTHY = {"no-current-disability": False}


def codes(report: Report) -> list[str]:
    return [v.code for v in report.violations]


def adult(birth: date, **changes: object) -> Applicant:
    fields: dict[str, object] = {
        "birth_date": birth,
        "credit_score": 700,
        "health_answers": XHB_HEALTHY,
        "has_guardian": False,
    }
    fields.update(changes)
    return Applicant(**fields)  # type: ignore[arg-type]


# --- eligibility -----------------------------------------------------------------------------


def test_healthy_adult_may_join() -> None:
    report = check_eligibility(XHB, adult(date(1990, 3, 4)), TODAY)
    assert report.ok
    assert report.violations == []


def test_baby_of_29_days_is_too_young() -> None:
    baby = adult(TODAY - timedelta(days=29), has_guardian=True)
    report = check_eligibility(XHB, baby, TODAY)
    assert codes(report) == ["age-out-of-range"]
    assert report.violations[0].field == "birth_date"
    assert "30 days" in report.violations[0].message


def test_baby_of_30_days_may_join_with_a_guardian() -> None:
    baby = adult(TODAY - timedelta(days=30), has_guardian=True)
    assert check_eligibility(XHB, baby, TODAY).ok


def test_baby_without_guardian_needs_one() -> None:
    baby = adult(TODAY - timedelta(days=30), has_guardian=False)
    report = check_eligibility(XHB, baby, TODAY)
    assert codes(report) == ["guardian-required"]
    assert report.violations[0].field == "guardian"


def test_minor_needs_a_guardian_until_the_18th_birthday() -> None:
    assert codes(check_eligibility(XHB, adult(date(2007, 6, 2)), TODAY)) == ["guardian-required"]
    assert check_eligibility(XHB, adult(date(2007, 6, 1)), TODAY).ok


def test_age_60_is_too_old() -> None:
    report = check_eligibility(XHB, adult(date(1965, 1, 1)), TODAY)
    assert codes(report) == ["age-out-of-range"]
    assert "59 years" in report.violations[0].message


def test_upper_age_boundary() -> None:
    # 59 years and 364 days old: the 60th birthday is tomorrow.
    assert check_eligibility(XHB, adult(date(1965, 6, 2)), TODAY).ok
    # The 60th birthday itself.
    assert codes(check_eligibility(XHB, adult(date(1965, 6, 1)), TODAY)) == ["age-out-of-range"]


def test_leap_day_birth_reaches_a_year_limit_on_1_march() -> None:
    born = date(2024, 2, 29)
    applicant = Applicant(born, None, DISHUI_HEALTHY, has_guardian=True)
    assert codes(check_eligibility(DISHUI, applicant, date(2025, 2, 28))) == ["age-out-of-range"]
    assert check_eligibility(DISHUI, applicant, date(2025, 3, 1)).ok


def test_senior_plan_age_range() -> None:
    def senior(birth: date) -> Applicant:
        return Applicant(birth, 650, SENIOR_HEALTHY)

    assert codes(check_eligibility(SENIOR, senior(date(1965, 6, 2)), TODAY)) == [
        "age-out-of-range"
    ]  # 59
    assert check_eligibility(SENIOR, senior(date(1965, 6, 1)), TODAY).ok  # 60 today
    assert check_eligibility(SENIOR, senior(date(1954, 6, 2)), TODAY).ok  # 70
    assert codes(check_eligibility(SENIOR, senior(date(1954, 6, 1)), TODAY)) == [
        "age-out-of-range"
    ]  # 71


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (599, ["credit-score-too-low"]),
        (600, []),
        (0, ["credit-score-too-low"]),
        (None, ["credit-score-missing"]),
    ],
)
def test_credit_score(score: int | None, expected: list[str]) -> None:
    report = check_eligibility(XHB, adult(date(1990, 1, 1), credit_score=score), TODAY)
    assert codes(report) == expected
    assert all(v.field == "credit_score" for v in report.violations)


def test_plan_without_credit_threshold_needs_no_score() -> None:
    applicant = Applicant(date(1990, 1, 1), None, DISHUI_HEALTHY)
    assert check_eligibility(DISHUI, applicant, TODAY).ok


def test_missing_health_answer() -> None:
    answers = {"no-current-critical-illness": False}
    report = check_eligibility(XHB, adult(date(1990, 1, 1), health_answers=answers), TODAY)
    assert codes(report) == ["health-declaration-incomplete"]
    assert report.violations[0].field == "no-pending-tests"


def test_wrong_health_answer() -> None:
    answers = {"no-current-critical-illness": True, "no-pending-tests": False}
    report = check_eligibility(XHB, adult(date(1990, 1, 1), health_answers=answers), TODAY)
    assert codes(report) == ["health-declaration-failed"]
    assert report.violations[0].field == "no-current-critical-illness"


def test_every_failed_rule_is_listed_at_once() -> None:
    applicant = Applicant(
        birth_date=TODAY - timedelta(days=29),
        credit_score=None,
        health_answers={"no-pending-tests": True},
        has_guardian=False,
    )
    report = check_eligibility(XHB, applicant, TODAY)
    assert sorted(codes(report)) == sorted(
        [
            "age-out-of-range",
            "guardian-required",
            "credit-score-missing",
            "health-declaration-incomplete",
            "health-declaration-failed",
        ]
    )
    fields = {v.code: v.field for v in report.violations}
    assert fields["health-declaration-incomplete"] == "no-current-critical-illness"
    assert fields["health-declaration-failed"] == "no-pending-tests"


def test_too_old_low_score_and_unhealthy_together() -> None:
    applicant = adult(
        date(1950, 1, 1),
        credit_score=599,
        health_answers={"no-current-critical-illness": True, "no-pending-tests": True},
    )
    assert codes(check_eligibility(XHB, applicant, TODAY)) == [
        "age-out-of-range",
        "credit-score-too-low",
        "health-declaration-failed",
        "health-declaration-failed",
    ]


def test_failed_report_raises_rule_violation_listing_all() -> None:
    from huzhu.domain.errors import RuleViolation

    report = check_eligibility(XHB, adult(date(1950, 1, 1), credit_score=None), TODAY)
    with pytest.raises(RuleViolation) as exc:
        report.raise_if_failed()
    assert [v.code for v in exc.value.violations] == ["age-out-of-range", "credit-score-missing"]
    assert exc.value.code == "age-out-of-range"


@settings(max_examples=200)
@given(st.dates(min_value=date(1940, 1, 1), max_value=TODAY))
def test_age_rule_matches_an_independent_age(birth: date) -> None:
    years = TODAY.year - birth.year - ((TODAY.month, TODAY.day) < (birth.month, birth.day))
    days = (TODAY - birth).days
    applicant = adult(birth, has_guardian=True)
    in_range = days >= 30 and years <= 59
    report = check_eligibility(XHB, applicant, TODAY)
    assert ("age-out-of-range" not in codes(report)) is in_range
    assert report.ok is in_range


# --- memberships -----------------------------------------------------------------------------

JOINED = datetime(2025, 1, 10, 3, 0, tzinfo=UTC)


def membership(plan: Plan = XHB, joined_at: datetime = JOINED) -> Membership:
    return Membership(id=1, plan_id=plan.id, person_id=1, plan_version=1, joined_at=joined_at)


def test_waiting_then_covered_after_90_days() -> None:
    m = membership()
    cover = date(2025, 4, 10)  # 10 January + 90 days
    assert m.cover_starts(XHB, Category.CRITICAL_ILLNESS) == cover
    assert m.cover_starts(XHB, Category.CANCER) == cover
    assert m.cover_starts(XHB, Category.ACCIDENT) == date(2025, 1, 10)
    assert m.status(XHB, date(2025, 1, 10)) is Status.WAITING
    assert m.status(XHB, date(2025, 4, 9)) is Status.WAITING
    assert m.status(XHB, cover) is Status.COVERED
    assert m.status(XHB, date(2026, 1, 1)) is Status.COVERED


def test_waiting_period_follows_the_plan() -> None:
    assert membership(DISHUI).cover_starts(DISHUI, Category.ACCIDENT) == date(2025, 2, 9)
    water = load_template("waterdrop-cancer")
    assert membership(water).cover_starts(water, Category.CANCER) == date(2025, 7, 9)


def test_suspended_and_left_status() -> None:
    m = membership()
    m.lifecycle = Lifecycle.SUSPENDED
    assert m.status(XHB, date(2026, 1, 1)) is Status.SUSPENDED
    m.lifecycle = Lifecycle.LEFT
    assert m.status(XHB, date(2026, 1, 1)) is Status.LEFT


def test_leave_records_the_event() -> None:
    m = membership()
    at = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    event = m.leave(LeaveReason.VOLUNTARY, at)
    assert (event.from_state, event.to_state, event.reason, event.at) == (
        Lifecycle.ACTIVE,
        Lifecycle.LEFT,
        "voluntary",
        at,
    )
    assert m.lifecycle is Lifecycle.LEFT
    assert m.left_at == at
    assert m.leave_reason is LeaveReason.VOLUNTARY
    assert m.events == [event]
    assert m.status(XHB, date(2025, 3, 2)) is Status.LEFT


def test_leave_twice_is_a_conflict() -> None:
    m = membership()
    m.leave(LeaveReason.NON_PAYMENT, datetime(2025, 3, 1, tzinfo=UTC))
    with pytest.raises(Conflict) as exc:
        m.leave(LeaveReason.VOLUNTARY, datetime(2025, 3, 2, tzinfo=UTC))
    assert exc.value.code == "membership-already-left"
    assert m.leave_reason is LeaveReason.NON_PAYMENT
    assert len(m.events) == 1


def test_suspended_member_can_leave() -> None:
    m = membership()
    m.lifecycle = Lifecycle.SUSPENDED
    event = m.leave(LeaveReason.NON_PAYMENT, datetime(2025, 3, 1, tzinfo=UTC))
    assert event.from_state is Lifecycle.SUSPENDED


@pytest.mark.parametrize(
    ("plan_id", "birth", "exit_on"),
    [
        ("xiang-hu-bao", date(1990, 5, 17), date(2050, 5, 17)),
        ("xiang-hu-bao", date(1996, 2, 29), date(2056, 2, 29)),  # 2056 is a leap year
        ("xiang-hu-bao", date(2040, 2, 29), date(2100, 3, 1)),  # 2100 is not
        ("dishui-accident", date(2000, 2, 29), date(2066, 3, 1)),
        ("dishui-accident", date(2000, 3, 1), date(2066, 3, 1)),
        ("xiang-hu-bao-senior", date(1960, 12, 31), date(2031, 12, 31)),
    ],
)
def test_exit_date(plan_id: str, birth: date, exit_on: date) -> None:
    assert exit_date(load_template(plan_id), birth) == exit_on


def test_exit_date_none_without_an_exit_age() -> None:
    plan = XHB.model_copy(
        update={"eligibility": XHB.eligibility.model_copy(update={"exit_age_years": None})}
    )
    assert exit_date(plan, date(1990, 1, 1)) is None


@settings(max_examples=300)
@given(
    st.sampled_from([t for t in TEMPLATE_IDS if load_template(t).eligibility.exit_age_years]),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
)
def test_exit_date_is_the_day_the_exit_age_is_reached(plan_id: str, birth: date) -> None:
    plan = load_template(plan_id)
    years = plan.eligibility.exit_age_years
    assert years is not None
    exit_on = exit_date(plan, birth)
    assert exit_on is not None

    def completed_years(day: date) -> int:
        # Independent of huzhu: a 29 February birthday counts from 1 March in common years.
        month_day = (birth.month, birth.day)
        leap = day.year % 4 == 0 and (day.year % 100 != 0 or day.year % 400 == 0)
        if month_day == (2, 29) and not leap:
            month_day = (3, 1)
        return day.year - birth.year - ((day.month, day.day) < month_day)

    assert completed_years(exit_on) == years
    assert completed_years(exit_on - timedelta(days=1)) == years - 1
