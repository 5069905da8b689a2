from __future__ import annotations

import re
import statistics
from collections import Counter
from datetime import date
from itertools import pairwise

import pytest

from huzhu.domain.identity import PROVINCES, Sex, age_in_days, age_on, parse_resident_id
from huzhu.simulation import (
    INCIDENCE_CATEGORIES,
    SyntheticPerson,
    annual_incidence_per_million,
    generate_people,
)

TODAY = date(2020, 6, 1)
SAMPLE = 20_000
CJK = re.compile(r"[\u4e00-\u9fff]+")


@pytest.fixture(scope="module")
def people() -> list[SyntheticPerson]:
    return list(generate_people(SAMPLE, seed=2018, today=TODAY))


def share(people: list[SyntheticPerson], flag: list[bool]) -> float:
    return sum(flag) / len(people)


# --- determinism, identity numbers, speed --------------------------------------------------------


def test_same_seed_same_people() -> None:
    first = list(generate_people(500, seed=7, today=TODAY))
    second = list(generate_people(500, seed=7, today=TODAY))
    assert first == second
    other = list(generate_people(500, seed=8, today=TODAY))
    assert [p.id_number for p in other] != [p.id_number for p in first]


def test_a_prefix_of_a_run_is_a_shorter_run() -> None:
    assert (
        list(generate_people(50, seed=3, today=TODAY))
        == list(generate_people(200, seed=3, today=TODAY))[:50]
    )


def test_100k_people_have_unique_ids() -> None:
    # Speed is measured in bench/, not asserted here.
    ids = [p.id_number for p in generate_people(100_000, seed=1, today=TODAY)]
    assert len(ids) == 100_000
    assert len(set(ids)) == 100_000


def test_id_numbers_are_valid_and_agree_with_the_person(people: list[SyntheticPerson]) -> None:
    for p in people:
        doc = parse_resident_id(p.id_number, today=TODAY)
        assert p.id_type == "resident-id"
        assert doc.birth_date == p.birth_date
        assert doc.sex is p.sex
        assert doc.province_code == p.province_code


def test_zero_people() -> None:
    assert list(generate_people(0, seed=1, today=TODAY)) == []


def test_bad_arguments_are_refused_at_the_call() -> None:
    with pytest.raises(ValueError):
        generate_people(-1, seed=1, today=TODAY)
    with pytest.raises(ValueError):
        generate_people(10, seed=1, today=TODAY, min_age_days=365 * 70, max_age_years=59)


# --- ages ----------------------------------------------------------------------------------------


def test_ages_stay_within_the_default_bounds(people: list[SyntheticPerson]) -> None:
    days = [age_in_days(p.birth_date, TODAY) for p in people]
    years = [age_on(p.birth_date, TODAY) for p in people]
    assert min(days) >= 30
    assert max(years) <= 59
    # The bounds are reached, not just respected: both ends of the range are in use.
    assert min(days) < 200
    assert max(years) == 59


def test_custom_age_bounds() -> None:
    group = list(
        generate_people(3_000, seed=5, today=TODAY, min_age_days=18 * 366, max_age_years=30)
    )
    assert all(age_in_days(p.birth_date, TODAY) >= 18 * 366 for p in group)
    assert all(18 <= age_on(p.birth_date, TODAY) <= 30 for p in group)


def test_age_bounds_on_a_leap_day() -> None:
    today = date(2024, 2, 29)
    group = list(generate_people(3_000, seed=9, today=today, min_age_days=0, max_age_years=0))
    # Born 2023-02-28 would turn 1 on 2024-02-28, so 2023-03-01 is the earliest allowed.
    assert min(p.birth_date for p in group) >= date(2023, 3, 1)
    assert max(p.birth_date for p in group) <= today
    assert {age_on(p.birth_date, today) for p in group} == {0}


def test_age_skew(people: list[SyntheticPerson]) -> None:
    years = [age_on(p.birth_date, TODAY) for p in people]
    assert share(people, [20 <= y <= 45 for y in years]) > 0.65
    assert 0.03 < share(people, [y < 18 for y in years]) < 0.15
    assert 0.02 < share(people, [y >= 50 for y in years]) < 0.12


# --- distributions -------------------------------------------------------------------------------


def test_rural_share(people: list[SyntheticPerson]) -> None:
    assert 0.25 <= share(people, [p.rural for p in people]) <= 0.37


def test_city_tiers(people: list[SyntheticPerson]) -> None:
    tiers = Counter(p.city_tier for p in people)
    assert set(tiers) == {1, 2, 3, 4, 5}
    assert 0.55 <= (tiers[3] + tiers[4] + tiers[5]) / len(people) <= 0.65


def test_rural_people_live_mostly_in_small_cities(people: list[SyntheticPerson]) -> None:
    rural = [p for p in people if p.rural]
    assert share(rural, [p.city_tier >= 3 for p in rural]) > 0.8


def test_labels(people: list[SyntheticPerson]) -> None:
    assert 0.42 <= share(people, ["migrant-worker" in p.labels for p in people]) <= 0.52
    assert 0.65 <= share(people, ["income-under-100k" in p.labels for p in people]) <= 0.75
    for p in people:
        if age_on(p.birth_date, TODAY) < 18:
            assert "migrant-worker" not in p.labels


def test_sex_balance(people: list[SyntheticPerson]) -> None:
    assert 0.47 <= share(people, [p.sex is Sex.MALE for p in people]) <= 0.55


def test_credit_scores(people: list[SyntheticPerson]) -> None:
    scores = [p.credit_score for p in people]
    assert all(350 <= s <= 950 for s in scores)
    assert 670 <= statistics.fmean(scores) <= 690
    assert 50 <= statistics.stdev(scores) <= 70


def test_provinces_follow_population(people: list[SyntheticPerson]) -> None:
    counts = Counter(p.province_code for p in people)
    mainland = {code for code in PROVINCES if code not in {"71", "81", "82"}}
    assert set(counts) == mainland
    assert counts.most_common(1)[0][0] == "44"  # Guangdong, the most populous
    assert counts["44"] > 10 * counts["46"]  # Hainan
    assert 0.07 <= counts["44"] / len(people) <= 0.10


def test_phones(people: list[SyntheticPerson]) -> None:
    pattern = re.compile(r"1[3-9][0-9]{9}")
    assert all(pattern.fullmatch(p.phone) for p in people)
    assert len({p.phone for p in people}) > 0.99 * len(people)


def test_names(people: list[SyntheticPerson]) -> None:
    assert all(2 <= len(p.name) <= 4 and CJK.fullmatch(p.name) for p in people)
    first_chars = Counter(p.name[0] for p in people)
    assert {c for c, _ in first_chars.most_common(3)} <= {"王", "李", "张", "刘", "陈"}
    assert len({p.name for p in people}) > 0.5 * len(people)
    lengths = Counter(len(p.name) for p in people)
    assert lengths[3] > lengths[2] > 0


# --- incidence -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "low", "high"), [(20, 250, 350), (40, 1_300, 1_700), (60, 5_000, 7_000)]
)
def test_critical_illness_anchor_ages(age: int, low: int, high: int) -> None:
    assert low <= annual_incidence_per_million(age, "critical-illness") <= high


def test_critical_illness_rises_steadily_with_age_from_20() -> None:
    rates = [annual_incidence_per_million(age, "critical-illness") for age in range(20, 91)]
    assert all(b > a for a, b in pairwise(rates))
    # Roughly exponential: each decade multiplies the rate by a similar factor (2 to 5).
    for age in (20, 30, 40, 50):
        ratio = annual_incidence_per_million(age + 10, "critical-illness") / (
            annual_incidence_per_million(age, "critical-illness")
        )
        assert 1.8 <= ratio <= 5.0


def test_cancer_is_about_sixty_percent_of_critical_illness() -> None:
    for age in range(0, 100, 7):
        critical = annual_incidence_per_million(age, "critical-illness")
        assert abs(annual_incidence_per_million(age, "cancer") - 0.6 * critical) <= 1


def test_accident_is_flat_and_childhood_illness_stops_at_18() -> None:
    assert {annual_incidence_per_million(a, "accident") for a in range(100)} == {400}
    assert annual_incidence_per_million(0, "childhood-illness") == 200
    assert annual_incidence_per_million(17, "childhood-illness") == 200
    assert annual_incidence_per_million(18, "childhood-illness") == 0


def test_every_category_is_known_and_others_are_refused() -> None:
    for category in INCIDENCE_CATEGORIES:
        assert annual_incidence_per_million(10, category) >= 0
    with pytest.raises(ValueError):
        annual_incidence_per_million(30, "flu")
    with pytest.raises(ValueError):
        annual_incidence_per_million(-1, "accident")
