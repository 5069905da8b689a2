"""A deterministic synthetic population for demos, load tests and forecasts.

The shape follows public reporting on Xiang Hu Bao members (mostly 20-45, about 47% migrant
workers, 31% rural, 60% from third-tier cities or smaller, 70% earning under 100,000 yuan a year).
Everything here is approximate, for simulation only. Floats are used for sampling; no money is
computed here.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import accumulate, pairwise

from huzhu.domain.identity import EARLIEST_BIRTH_DATE, Sex, age_on, make_resident_id
from huzhu.simulation.names import (
    FEMALE_GIVEN,
    MALE_GIVEN,
    NEUTRAL_GIVEN,
    SINGLE_CHAR_GIVEN_NAME,
    SURNAME_WEIGHTS,
)
from huzhu.simulation.regions import (
    CITY_TIER_WEIGHTS,
    COUNTIES,
    PHONE_PREFIXES,
    PREFECTURES,
    PROVINCE_POPULATION_10K,
    RURAL_BY_TIER,
)

INCIDENCE_CATEGORIES = ("critical-illness", "cancer", "childhood-illness", "accident")

MALE_SHARE = 0.51
# Migrant work is an adult label; the adult rate is set so that the whole default population,
# about 8% of whom are children, comes out near the reported 47%.
MIGRANT_WORKER_ADULT_SHARE = 0.51
INCOME_UNDER_100K_SHARE = 0.70
CREDIT_SCORE_MEAN = 680.0
CREDIT_SCORE_SD = 60.0
CREDIT_SCORE_MIN = 350
CREDIT_SCORE_MAX = 950


@dataclass(frozen=True)
class SyntheticPerson:
    name: str
    id_type: str
    id_number: str
    birth_date: date
    sex: Sex
    province_code: str
    city_tier: int
    rural: bool
    phone: str
    credit_score: int
    labels: tuple[str, ...]


def _age_weight(age: int) -> float:
    """Relative chance that a member is `age` completed years old.

    Members were mostly young working adults who signed up themselves; children were enrolled by
    parents and people near the age cap had little reason to join a plan that would soon drop them.
    """
    if age < 18:
        return 0.25
    if age < 20:
        return 0.6
    if age <= 45:
        return 1.6
    if age < 50:
        return 0.8
    if age < 60:
        return 0.35
    return 0.1


def _birth_day_table(
    today: date, min_age_days: int, max_age_years: int
) -> tuple[list[int], list[float]]:
    """Ages (in completed years) and cumulative weights for every allowed age in days.

    Weighting each day rather than each year keeps the age limits exact, including around
    29 February, at the cost of a table of about 22,000 entries built once per run.
    """
    ages: list[int] = []
    weights: list[float] = []
    today_ordinal = today.toordinal()
    offset = min_age_days
    while True:
        birth = date.fromordinal(today_ordinal - offset)
        if birth < EARLIEST_BIRTH_DATE:
            break
        age = age_on(birth, today)
        if age > max_age_years:
            break
        ages.append(age)
        weights.append(_age_weight(age))
        offset += 1
    return ages, list(accumulate(weights))


def generate_people(
    n: int,
    *,
    seed: int,
    today: date,
    min_age_days: int = 30,
    max_age_years: int = 59,
) -> Iterator[SyntheticPerson]:
    """`n` synthetic members, the same ones for the same arguments.

    ID numbers are unique within one call; two calls with different seeds may overlap.
    """
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    if min_age_days < 0 or max_age_years < 0:
        raise ValueError("age limits must not be negative")
    ages, age_cum = _birth_day_table(today, min_age_days, max_age_years)
    if not ages:
        raise ValueError(
            f"no birth date gives an age between {min_age_days} days and {max_age_years} years"
        )
    return _generate(n, random.Random(seed), today, min_age_days, ages, age_cum)


def _generate(
    n: int,
    rng: random.Random,
    today: date,
    min_age_days: int,
    ages: list[int],
    age_cum: list[float],
) -> Iterator[SyntheticPerson]:
    # Local names and hand-rolled weighted picks (bisect on cumulative weights) instead of
    # rng.choices: it keeps 100,000 people well under a second.
    rand = rng.random
    gauss = rng.gauss
    today_ordinal = today.toordinal()
    age_total = age_cum[-1]
    provinces = list(PROVINCE_POPULATION_10K)
    province_cum = list(accumulate(PROVINCE_POPULATION_10K.values()))
    province_total = province_cum[-1]
    surnames = list(SURNAME_WEIGHTS)
    surname_cum = list(accumulate(SURNAME_WEIGHTS.values()))
    surname_total = surname_cum[-1]
    tier_cum = list(accumulate(CITY_TIER_WEIGHTS))
    tier_total = tier_cum[-1]
    male_pool = MALE_GIVEN + NEUTRAL_GIVEN
    female_pool = FEMALE_GIVEN + NEUTRAL_GIVEN
    seen: set[str] = set()

    for _ in range(n):
        index = bisect(age_cum, rand() * age_total)
        age = ages[index]
        birth = date.fromordinal(today_ordinal - min_age_days - index)
        sex = Sex.MALE if rand() < MALE_SHARE else Sex.FEMALE
        province = provinces[bisect(province_cum, rand() * province_total)]

        while True:
            prefecture = int(rand() * PREFECTURES) + 1
            county = int(rand() * COUNTIES) + 1
            # The last sequence digit's parity carries the sex: odd for men, even for women.
            sequence = 2 * int(rand() * 500) + (1 if sex is Sex.MALE else 0)
            id_number = make_resident_id(f"{province}{prefecture:02d}{county:02d}", birth, sequence)
            if id_number not in seen:
                seen.add(id_number)
                break

        pool = male_pool if sex is Sex.MALE else female_pool
        given = pool[int(rand() * len(pool))]
        if rand() >= SINGLE_CHAR_GIVEN_NAME:
            given += pool[int(rand() * len(pool))]
        name = surnames[bisect(surname_cum, rand() * surname_total)] + given

        tier = bisect(tier_cum, rand() * tier_total) + 1
        rural = rand() < RURAL_BY_TIER[tier - 1]
        phone = PHONE_PREFIXES[int(rand() * len(PHONE_PREFIXES))] + f"{int(rand() * 1e8):08d}"
        score = round(gauss(CREDIT_SCORE_MEAN, CREDIT_SCORE_SD))
        score = min(CREDIT_SCORE_MAX, max(CREDIT_SCORE_MIN, score))

        labels: list[str] = []
        if age < 18:
            labels.append("minor")
        elif rand() < MIGRANT_WORKER_ADULT_SHARE:
            labels.append("migrant-worker")
        if rand() < INCOME_UNDER_100K_SHARE:
            labels.append("income-under-100k")

        yield SyntheticPerson(
            name=name,
            id_type="resident-id",
            id_number=id_number,
            birth_date=birth,
            sex=sex,
            province_code=province,
            city_tier=tier,
            rural=rural,
            phone=phone,
            credit_score=score,
            labels=tuple(labels),
        )


# Yearly incidence of critical illness per million people at selected ages; between them the rate
# is interpolated on a log scale, i.e. it grows exponentially with age as such rates roughly do.
# Approximate, for simulation only: shaped after public figures (about 300 per million at 20,
# 1,500 at 40, 6,000 at 60), not an actuarial table.
_CRITICAL_ILLNESS_ANCHORS: tuple[tuple[int, float], ...] = (
    (0, 200.0),
    (10, 120.0),
    (20, 300.0),
    (30, 700.0),
    (40, 1_500.0),
    (50, 3_000.0),
    (60, 6_000.0),
    (70, 11_000.0),
    (80, 18_000.0),
    (100, 25_000.0),
)
# Approximate, for simulation only.
_CANCER_SHARE_OF_CRITICAL = 0.6
_ACCIDENT_PER_MILLION = 400
_CHILDHOOD_ILLNESS_PER_MILLION = 200
_CHILDHOOD_UNTIL = 18


def _critical_illness_rate(age: int) -> float:
    for (a0, v0), (a1, v1) in pairwise(_CRITICAL_ILLNESS_ANCHORS):
        if a0 <= age < a1:
            t = (age - a0) / (a1 - a0)
            return math.exp(math.log(v0) + t * (math.log(v1) - math.log(v0)))
    return _CRITICAL_ILLNESS_ANCHORS[-1][1]


def annual_incidence_per_million(age: int, category: str) -> int:
    """Expected new cases per million people of `age` in one year (approximate, for simulation
    only)."""
    if age < 0:
        raise ValueError(f"age must not be negative, got {age}")
    if category == "critical-illness":
        return round(_critical_illness_rate(age))
    if category == "cancer":
        return round(_critical_illness_rate(age) * _CANCER_SHARE_OF_CRITICAL)
    if category == "accident":
        return _ACCIDENT_PER_MILLION
    if category == "childhood-illness":
        return _CHILDHOOD_ILLNESS_PER_MILLION if age < _CHILDHOOD_UNTIL else 0
    raise ValueError(f"unknown category {category!r}; expected one of {INCIDENCE_CATEGORIES}")
