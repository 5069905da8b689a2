"""What is checked before a payout, and the states a claim moves through."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from huzhu.domain.claims import (
    PAYOUT_STATES,
    TRANSITIONS,
    Assessment,
    Claim,
    ClaimFacts,
    ClaimState,
    assess_claim,
    check_transition,
)
from huzhu.domain.errors import Conflict
from huzhu.domain.members import LeaveReason, Lifecycle, Membership
from huzhu.domain.plan_fields import CHINA_TZ
from huzhu.domain.plan_rules import Category
from huzhu.domain.plans import Plan
from huzhu.plans.loader import load_catalogue, load_template

XHB = load_template("xiang-hu-bao")
SENIOR = load_template("xiang-hu-bao-senior")
DISHUI = load_template("dishui-accident")
WATERDROP = load_template("waterdrop-cancer")
CONDITIONS = load_catalogue()

JOINED = datetime(2020, 1, 1, 12, 0, tzinfo=UTC)
ILLNESS_COVER = date(2020, 3, 31)  # 1 January 2020 + 90 days (February has 29 days)


def membership(plan: Plan, joined_at: datetime = JOINED) -> Membership:
    return Membership(id=1, plan_id=plan.id, person_id=1, plan_version=1, joined_at=joined_at)


def assess(
    plan: Plan,
    code: str,
    diagnosed: date,
    birth: date,
    *,
    member: Membership | None = None,
    grade: int | None = None,
    paid: bool = False,
) -> Assessment:
    facts = ClaimFacts(
        condition=CONDITIONS.get(code),
        diagnosis_date=diagnosed,
        birth_date=birth,
        disability_grade=grade,
    )
    return assess_claim(plan, member or membership(plan), facts, has_payout_already=paid)


def codes(a: Assessment) -> list[str]:
    return [v.code for v in a.report.violations]


# --- assessment ------------------------------------------------------------------------------


def test_covered_illness_after_the_wait_pays_the_under_40_band() -> None:
    a = assess(XHB, "CI-01", ILLNESS_COVER, date(1980, 5, 1))
    assert a.report.ok
    assert a.age_at_diagnosis == 39
    assert a.payout == 30_000_000


def test_payout_band_uses_age_at_diagnosis_not_at_joining() -> None:
    born = date(1980, 2, 15)  # 39 when joining on 1 January 2020, 40 from 15 February
    a = assess(XHB, "CI-01", date(2020, 4, 15), born)
    assert a.report.ok
    assert a.age_at_diagnosis == 40
    assert a.payout == 10_000_000
    # The same person diagnosed on the day before their 40th birthday (but in the wait).
    before = assess(XHB, "CI-01", date(2020, 2, 14), born)
    assert before.age_at_diagnosis == 39
    assert codes(before) == ["in-waiting-period"]


def test_illness_inside_the_waiting_period() -> None:
    a = assess(XHB, "CI-01", ILLNESS_COVER - timedelta(days=1), date(1985, 1, 1))
    assert codes(a) == ["in-waiting-period"]
    v = a.report.violations[0]
    assert v.field == "diagnosis_date"
    assert "2020-03-31" in v.message
    assert "illness" in v.message
    # Cancer shares the illness wait.
    assert codes(assess(XHB, "CA-01", date(2020, 3, 1), date(1985, 1, 1))) == ["in-waiting-period"]


def test_accident_on_the_first_day_is_covered_by_xiang_hu_bao() -> None:
    a = assess(XHB, "AC-01", JOINED.date(), date(1985, 1, 1))
    assert a.report.ok
    assert a.payout == 30_000_000


def test_accident_on_the_first_day_waits_30_days_on_dishui() -> None:
    born = date(1985, 1, 1)
    a = assess(DISHUI, "AC-01", JOINED.date(), born)
    assert codes(a) == ["in-waiting-period"]
    assert "accident" in a.report.violations[0].message
    assert codes(assess(DISHUI, "AC-01", date(2020, 1, 30), born)) == ["in-waiting-period"]
    day_30 = assess(DISHUI, "AC-01", date(2020, 1, 31), born)
    assert day_30.report.ok
    assert day_30.payout == 10_000_000


def test_uncovered_condition() -> None:
    a = assess(WATERDROP, "CH-01", date(2021, 1, 1), date(2015, 1, 1))
    assert codes(a) == ["condition-not-covered"]
    assert a.report.violations[0].field == "condition_code"
    # Xiang Hu Bao covers no childhood illness category either; the senior plan only cancer.
    assert codes(assess(XHB, "CH-01", date(2021, 1, 1), date(2015, 1, 1))) == [
        "condition-not-covered"
    ]
    # CI-01 has no severity, so no band of the senior plan (mild/severe) applies either.
    assert codes(assess(SENIOR, "CI-01", date(2021, 1, 1), date(1955, 1, 1))) == [
        "condition-not-covered",
        "no-payout-band",
    ]


def test_waterdrop_cancer_after_180_days() -> None:
    born = date(1990, 1, 1)
    assert codes(assess(WATERDROP, "CA-01", date(2020, 6, 28), born)) == ["in-waiting-period"]
    a = assess(WATERDROP, "CA-01", date(2020, 6, 29), born)  # 1 January 2020 + 180 days
    assert a.report.ok
    assert a.payout == 20_000_000


@pytest.mark.parametrize("state", [Lifecycle.LEFT, Lifecycle.SUSPENDED])
def test_membership_not_active(state: Lifecycle) -> None:
    m = membership(XHB)
    m.lifecycle = state
    a = assess(XHB, "CI-01", date(2021, 1, 1), date(1985, 1, 1), member=m)
    assert codes(a) == ["membership-not-active"]
    assert state.value in a.report.violations[0].message


def test_left_through_leave() -> None:
    m = membership(XHB)
    m.leave(LeaveReason.VOLUNTARY, datetime(2020, 6, 1, tzinfo=UTC))
    a = assess(XHB, "CI-01", date(2021, 1, 1), date(1985, 1, 1), member=m)
    assert codes(a) == ["membership-not-active"]


def test_already_paid_out() -> None:
    a = assess(XHB, "CI-01", date(2021, 1, 1), date(1985, 1, 1), paid=True)
    assert codes(a) == ["already-paid-out"]


def test_disability_needs_a_grade() -> None:
    born = date(1985, 1, 1)
    a = assess(DISHUI, "AC-02", date(2021, 1, 1), born)
    assert codes(a) == ["disability-grade-required"]
    assert a.report.violations[0].field == "disability_grade"
    assert a.payout is None
    for bad in (0, 11, -1):
        bad_grade = assess(DISHUI, "AC-02", date(2021, 1, 1), born, grade=bad)
        assert codes(bad_grade) == ["disability-grade-required"]
        assert bad_grade.payout is None


@pytest.mark.parametrize(
    ("grade", "payout"),
    [(1, 10_000_000), (5, 6_000_000), (9, 2_000_000), (10, 1_000_000)],
)
def test_disability_is_paid_in_proportion_to_grade(grade: int, payout: int) -> None:
    a = assess(DISHUI, "AC-02", date(2021, 1, 1), date(1985, 1, 1), grade=grade)
    assert a.report.ok
    assert a.payout == payout


def test_death_is_paid_in_full_whatever_grade_is_given() -> None:
    a = assess(DISHUI, "AC-01", date(2021, 1, 1), date(1985, 1, 1), grade=5)
    assert a.report.ok
    assert a.payout == 10_000_000


def test_grade_is_not_needed_where_the_plan_does_not_pay_by_grade() -> None:
    a = assess(XHB, "AC-02", date(2021, 1, 1), date(1985, 1, 1))
    assert a.report.ok
    assert a.payout == 30_000_000


def test_senior_plan_pays_by_severity() -> None:
    born = date(1955, 3, 1)  # 65 at the diagnosis
    mild = assess(SENIOR, "CA-02", date(2020, 6, 1), born)
    assert mild.report.ok
    assert mild.age_at_diagnosis == 65
    assert mild.payout == 5_000_000
    severe = assess(SENIOR, "CA-01", date(2020, 6, 1), born)
    assert severe.report.ok
    assert severe.payout == 10_000_000


def test_no_payout_band_past_the_oldest_band() -> None:
    a = assess(XHB, "CI-01", date(2021, 1, 1), date(1960, 6, 1))  # 60 at the diagnosis
    assert codes(a) == ["no-payout-band"]
    assert a.payout is None


def test_several_failures_are_reported_together() -> None:
    m = membership(WATERDROP)
    m.leave(LeaveReason.VOLUNTARY, datetime(2020, 1, 5, tzinfo=UTC))
    a = assess(WATERDROP, "CH-01", date(2020, 1, 20), date(2015, 1, 1), member=m, paid=True)
    assert codes(a) == [
        "condition-not-covered",
        "membership-not-active",
        "in-waiting-period",
        "already-paid-out",
    ]


def test_dishui_disability_without_grade_in_the_wait_lists_both() -> None:
    a = assess(DISHUI, "AC-02", date(2020, 1, 2), date(1985, 1, 1))
    assert codes(a) == ["in-waiting-period", "disability-grade-required"]


def test_waiting_period_counts_from_the_beijing_join_date() -> None:
    # 20:00 UTC on 1 January is 04:00 on 2 January in Beijing.
    joined = datetime(2020, 1, 1, 20, 0, tzinfo=UTC)
    assert joined.astimezone(CHINA_TZ).date() == date(2020, 1, 2)
    in_utc = membership(XHB, joined)
    in_beijing = membership(XHB, joined.astimezone(CHINA_TZ))
    # The same instant must give the same cover date, whatever zone the datetime carries.
    assert in_utc.cover_starts(XHB, Category.CRITICAL_ILLNESS) == in_beijing.cover_starts(
        XHB, Category.CRITICAL_ILLNESS
    )
    # Ninety days after 2 January (Beijing) is 1 April, so 31 March is still waiting.
    a = assess(XHB, "CI-01", date(2020, 3, 31), date(1985, 1, 1), member=in_utc)
    assert codes(a) == ["in-waiting-period"]


# --- claim states ----------------------------------------------------------------------------

S = ClaimState
ALLOWED = {
    (S.SUBMITTED, S.APPROVED),
    (S.SUBMITTED, S.REJECTED),
    (S.SUBMITTED, S.WITHDRAWN),
    (S.APPROVED, S.SHARED),
    (S.SHARED, S.PAID),
    # the claims workflow (issue 4): investigation, announcement, appeal to a jury, reopening
    (S.SUBMITTED, S.UNDER_INVESTIGATION),
    *((s, t) for s in (S.SUBMITTED, S.UNDER_INVESTIGATION) for t in (S.DOCUMENTS_REQUESTED,
                                                                      S.ANNOUNCED)),
    *((S.UNDER_INVESTIGATION, t) for t in (S.APPROVED, S.REJECTED, S.WITHDRAWN)),
    *((S.DOCUMENTS_REQUESTED, t) for t in (S.UNDER_INVESTIGATION, S.REJECTED, S.WITHDRAWN)),
    *((S.ANNOUNCED, t) for t in (S.APPROVED, S.REJECTED, S.WITHDRAWN)),
    (S.REJECTED, S.JURY),
    (S.REJECTED, S.UNDER_INVESTIGATION),
    *((S.JURY, t) for t in (S.ANNOUNCED, S.UNDER_INVESTIGATION, S.REJECTED, S.WITHDRAWN)),
}  # fmt: skip


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_allowed_transitions(current: ClaimState, target: ClaimState) -> None:
    check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [pair for pair in itertools.product(ClaimState, ClaimState) if pair not in ALLOWED],
)
def test_refused_transitions(current: ClaimState, target: ClaimState) -> None:
    with pytest.raises(Conflict) as exc:
        check_transition(current, target)
    assert exc.value.code == "claim-state"
    assert exc.value.field == "state"
    assert current.value in exc.value.message
    assert target.value in exc.value.message


def test_transition_table_covers_every_state() -> None:
    assert set(TRANSITIONS) == set(ClaimState)
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED
    assert {ClaimState.APPROVED, ClaimState.SHARED, ClaimState.PAID} == PAYOUT_STATES


def make_claim(state: ClaimState = ClaimState.SUBMITTED) -> Claim:
    return Claim(
        id=7,
        plan_id=XHB.id,
        membership_id=1,
        condition_code="CI-01",
        diagnosis_date=date(2020, 5, 1),
        hospital="Hospital",
        evidence=("report.pdf",),
        age_at_diagnosis=39,
        payout=30_000_000,
        state=state,
        submitted_at=datetime(2020, 5, 2, tzinfo=UTC),
    )


def test_decide_records_who_when_and_why() -> None:
    claim = make_claim()
    at = datetime(2020, 5, 10, 9, 0, tzinfo=UTC)
    claim.decide(
        ClaimState.REJECTED,
        by="reviewer-1",
        at=at,
        reason_code="pre-existing",
        reason_text="diagnosed before joining",
    )
    assert claim.state is ClaimState.REJECTED
    assert (claim.decided_by, claim.decided_at) == ("reviewer-1", at)
    assert (claim.reason_code, claim.reason_text) == ("pre-existing", "diagnosed before joining")


def test_decide_walks_the_happy_path() -> None:
    claim = make_claim()
    at = datetime(2020, 5, 10, tzinfo=UTC)
    for state in (ClaimState.APPROVED, ClaimState.SHARED, ClaimState.PAID):
        claim.decide(state, by="engine", at=at)
        assert claim.state is state
    assert claim.reason_code is None


def test_decide_refuses_and_leaves_the_claim_unchanged() -> None:
    claim = make_claim(ClaimState.REJECTED)
    with pytest.raises(Conflict) as exc:
        claim.decide(ClaimState.APPROVED, by="reviewer-2", at=datetime(2020, 6, 1, tzinfo=UTC))
    assert exc.value.code == "claim-state"
    assert claim.state is ClaimState.REJECTED
    assert claim.decided_by is None
    assert claim.decided_at is None


def test_a_childhood_illness_is_claimable_only_under_the_plans_age() -> None:
    # Issue 9: Xiaomi's childhood illnesses are claimable under 18 (childhood_max_age_years).
    xiaomi = load_template("xiaomi-huzhu")
    born = date(2002, 6, 1)
    seventeen = assess(xiaomi, "CH-02", date(2020, 5, 31), born)
    assert seventeen.report.ok and seventeen.payout == 50_000_000
    eighteen = assess(xiaomi, "CH-02", date(2020, 6, 1), born)  # the 18th birthday
    assert codes(eighteen) == ["childhood-age-exceeded"]
    assert eighteen.report.violations[0].field == "diagnosis_date"
    assert "18" in eighteen.report.violations[0].message
    # The same adult is covered for a critical illness; the limit is for childhood illnesses only.
    assert assess(xiaomi, "CI-01", date(2020, 6, 1), born).report.ok
    # An uncovered childhood illness is refused as not covered, not for the age.
    assert codes(assess(WATERDROP, "CH-02", date(2021, 1, 1), date(1990, 1, 1))) == [
        "condition-not-covered"
    ]
