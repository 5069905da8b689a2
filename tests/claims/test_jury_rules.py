"""The jury's pure rules: a reproducible seeded draw, who may sit, the tally, the juror test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from huzhu.domain import jury
from huzhu.domain.jury import Candidate, JuryResult, Vote

NOW = datetime(2026, 1, 10, tzinfo=UTC)
people = st.sets(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=60)
seeds = st.text(min_size=8, max_size=40)


@given(seeds, people, st.integers(min_value=1, max_value=10))
def test_the_same_seed_and_list_draw_the_same_jurors(seed: str, pool: set[int], k: int) -> None:
    first = jury.draw(seed, pool, k)
    assert first == jury.draw(seed, sorted(pool, reverse=True), k)  # order of the list is moot
    assert len(first) == min(k, len(pool)) and len(set(first)) == len(first)
    assert set(first) <= pool


@given(seeds, people)
def test_replacements_continue_the_same_sequence(seed: str, pool: set[int]) -> None:
    order = jury.draw_order(seed, pool)
    drawn = order[:3]
    assert jury.draw(seed, pool, 1, skip=drawn) == order[3:4]


def test_different_seeds_draw_differently() -> None:
    pool = range(1, 200)
    assert jury.draw("seed-one-0001", pool, 7) != jury.draw("seed-two-0002", pool, 7)
    assert jury.eligible_digest([3, 1, 2]) == jury.eligible_digest([1, 2, 3])
    assert jury.eligible_digest([1, 2]) != jury.eligible_digest([1, 2, 3])


def sit(c: Candidate, claimant: int = 1, guardian: int | None = 50) -> bool:
    return jury.may_sit(c, claimant_id=claimant, claimant_guardian=guardian, now=NOW,
                        min_member_days=30)  # fmt: skip


def test_who_may_sit() -> None:
    old = NOW - timedelta(days=30)
    assert sit(Candidate(7, None, old, True))
    assert not sit(Candidate(7, None, old + timedelta(seconds=1), True))  # not 30 days yet
    assert not sit(Candidate(7, None, old, False))  # has not passed the test
    assert not sit(Candidate(1, None, old, True))  # the claimant
    assert not sit(Candidate(8, 1, old, True))  # the claimant's dependant
    assert not sit(Candidate(50, None, old, True))  # the claimant's guardian


def test_quorum_then_a_strict_majority_overturns() -> None:
    OV, UP = Vote.OVERTURN, Vote.UPHOLD
    assert jury.tally([OV, OV, UP], 3).result is JuryResult.OVERTURNED
    assert jury.tally([OV, UP, UP], 3).result is JuryResult.UPHELD
    assert jury.tally([OV, OV, UP, UP], 3).result is JuryResult.UPHELD  # a tie upholds
    t = jury.tally([OV, OV], 3)
    assert (t.result, t.overturn, t.uphold, t.cast) == (JuryResult.NO_QUORUM, 2, 0, 2)


def test_the_juror_test_needs_every_answer_right() -> None:
    right = {q.id: q.answer for q in jury.QUESTIONS}
    assert jury.grade(right) == (len(jury.QUESTIONS), True)
    wrong = right | {"not-insurance": "yes"}
    assert jury.grade(wrong) == (len(jury.QUESTIONS) - 1, False)
    assert jury.grade({}) == (0, False)
    assert all(q.answer in q.options for q in jury.QUESTIONS)
