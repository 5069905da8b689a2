"""Juries: who may sit, how they are drawn from a published seed, and how their votes are counted.

The draw is reproducible by anyone who holds the seed and the eligible list: every eligible person
gets the rank sha256("<seed>:<person id>"), and jurors are taken in rank order. A juror who declines
is replaced by the next person in the same order, so replacements come from the same sequence.

A public vote (Xiang Hu Bao) draws nobody: every member who may sit may vote once, until the
deadline. A vote, public or drawn, that has not reached its quorum by the deadline closes as
"no-quorum": the rejection neither stands nor falls, and a new jury is opened for the case.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Vote(StrEnum):
    OVERTURN = "overturn"  # the rejection was wrong: pay the claim
    UPHOLD = "uphold"  # the rejection stands


class JuryResult(StrEnum):
    OVERTURNED = "overturned"
    UPHELD = "upheld"
    NO_QUORUM = "no-quorum"


class JuryMode(StrEnum):
    DRAWN = "drawn"  # a small jury drawn from a published seed
    PUBLIC = "public"  # any member who may sit votes (Xiang Hu Bao)


class JurorStatus(StrEnum):
    DRAWN = "drawn"
    DECLINED = "declined"
    VOTED = "voted"


def new_seed() -> str:
    """A fresh random seed, published with the jury it drew."""
    return secrets.token_hex(16)


def rank(seed: str, person_id: int) -> str:
    return hashlib.sha256(f"{seed}:{person_id}".encode()).hexdigest()


def draw_order(seed: str, eligible: Iterable[int]) -> list[int]:
    """Every eligible person, in the order the seed draws them."""
    return sorted(set(eligible), key=lambda p: (rank(seed, p), p))


def draw(seed: str, eligible: Iterable[int], count: int, *, skip: Iterable[int] = ()) -> list[int]:
    """The first `count` people in the seed's order, leaving out those in `skip` (already drawn)."""
    taken = set(skip)
    return [p for p in draw_order(seed, eligible) if p not in taken][:count]


def eligible_digest(eligible: Iterable[int]) -> str:
    """Published with the jury, so the eligible list used for the draw can be checked later."""
    text = ",".join(str(p) for p in sorted(set(eligible)))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Candidate:
    person_id: int
    guardian_id: int | None
    joined_at: datetime
    passed_test: bool


def may_sit(
    c: Candidate,
    *,
    claimant_id: int,
    claimant_guardian: int | None,
    now: datetime,
    min_member_days: int,
) -> bool:
    """A member for long enough, who passed the juror test, and not the claimant, a dependant of
    the claimant, or the claimant's guardian."""
    if c.person_id in (claimant_id, claimant_guardian):
        return False
    if c.guardian_id == claimant_id:
        return False
    return c.passed_test and c.joined_at <= now - timedelta(days=min_member_days)


@dataclass(frozen=True)
class Tally:
    overturn: int
    uphold: int
    quorum: int
    result: JuryResult
    threshold_percent: int | None = None

    @property
    def cast(self) -> int:
        return self.overturn + self.uphold


def decide(overturn: int, uphold: int, quorum: int, threshold_percent: int | None) -> JuryResult:
    """A quorum of votes must be cast. Then, with a threshold, overturn when at least that
    percentage of the votes cast say so (Xiang Hu Bao: 50% or more pays the case); without one, a
    strict majority overturns (a tie upholds the rejection). Integer arithmetic: no rounding."""
    cast = overturn + uphold
    if cast < quorum:
        return JuryResult.NO_QUORUM
    if threshold_percent is None:
        return JuryResult.OVERTURNED if overturn > uphold else JuryResult.UPHELD
    if overturn * 100 >= threshold_percent * cast:
        return JuryResult.OVERTURNED
    return JuryResult.UPHELD


def count(overturn: int, uphold: int, quorum: int, threshold_percent: int | None = None) -> Tally:
    result = decide(overturn, uphold, quorum, threshold_percent)
    return Tally(overturn, uphold, quorum, result, threshold_percent)


def tally(votes: Sequence[Vote], quorum: int, threshold_percent: int | None = None) -> Tally:
    overturn = sum(v is Vote.OVERTURN for v in votes)
    uphold = sum(v is Vote.UPHOLD for v in votes)
    return count(overturn, uphold, quorum, threshold_percent)


# --- the juror test -------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    id: str
    en: str
    zh: str
    options: tuple[str, ...]
    answer: str


QUESTIONS: tuple[Question, ...] = (
    Question(
        "not-insurance",
        "Is a mutual aid plan insurance with a guaranteed payout?",
        "互助计划是保证给付的保险吗？",
        ("yes", "no"),
        "no",
    ),
    Question(
        "who-pays",
        "Who pays an approved claim?",
        "通过的互助金由谁承担？",
        ("the operator", "the members, in equal shares", "an insurer"),
        "the members, in equal shares",
    ),
    Question(
        "decide-on",
        "What should a juror decide on?",
        "评审员应依据什么做判断？",
        ("the plan's published rules and the evidence", "sympathy for the claimant", "the cost"),
        "the plan's published rules and the evidence",
    ),
    Question(
        "secret",
        "May a juror share their vote or the case's details with others?",
        "评审员可以对外透露投票或案情吗？",
        ("yes", "no"),
        "no",
    ),
)


def grade(answers: dict[str, str]) -> tuple[int, bool]:
    """(correct answers, passed): every question must be answered correctly."""
    score = sum(answers.get(q.id) == q.answer for q in QUESTIONS)
    return score, score == len(QUESTIONS)
