"""Public votes as Xiang Hu Bao ran them: any member who may sit votes once, the ballots stay
sealed until the deadline, a quorum of valid votes and a threshold (50% or more) decide, and the
tally goes in the public log, where `huzhu verify` recomputes the result."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

import pytest
from claimkit import Kit, build
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from helpers import at
from huzhu.domain.errors import Conflict, Forbidden, HuzhuError
from huzhu.domain.jury import JuryMode, JuryResult, Vote, decide
from huzhu.services.claims import decisions
from huzhu.services.claims import jury as jury_svc
from huzhu.services.record import public_record
from huzhu.services.record.verify import verify
from huzhu.services.record.verify_juries import JURIES_CHECK
from huzhu.storage.repositories.claims.juries import Jury
from huzhu.storage.uow import UnitOfWork

PUBLIC = """
[claims]
jury_mode = "public"
jury_quorum = 4
jury_threshold_percent = 50
jury_days = 7
juror_min_member_days = 30
"""
OPENED = at("2026-01-06", 12)
VOTING = at("2026-01-07")


@pytest.fixture
def kit(engine: Engine) -> Kit:
    return build(engine, rules=PUBLIC)


def opened(kit: Kit, voters: int = 8) -> Jury:
    claim_id = kit.submit()
    kit.run(decisions.reject, claim_id, "reviewer", "not-critical", "mild", at("2026-01-05"))
    kit.run(jury_svc.appeal, claim_id, "stage III", "claimant", at("2026-01-06"))
    kit.pass_tests(kit.crowd[:voters], at("2026-01-06"))
    return kit.run(jury_svc.draw_jury, claim_id, "op", OPENED)


def votes(kit: Kit, jury: Jury, overturn: int, uphold: int) -> None:
    choices = [Vote.OVERTURN] * overturn + [Vote.UPHOLD] * uphold
    for person, choice in zip(kit.crowd, choices, strict=False):
        kit.run(jury_svc.vote, jury.id, person, choice, VOTING)


def verify_problems(kit: Kit) -> list[str]:
    report = kit.read(lambda uow: verify(uow, merkle=False))
    return [p for c in report.checks for p in c.problems]


@given(
    st.integers(0, 5000),
    st.integers(0, 5000),
    st.integers(1, 3000),
    st.none() | st.integers(1, 100),
)
def test_the_rule_against_a_fraction_oracle(
    overturn: int, uphold: int, quorum: int, threshold: int | None
) -> None:
    cast = overturn + uphold
    if cast < quorum:
        expected = JuryResult.NO_QUORUM
    elif threshold is None:
        expected = JuryResult.OVERTURNED if overturn > uphold else JuryResult.UPHELD
    else:
        pays = Fraction(overturn, cast) >= Fraction(threshold, 100)
        expected = JuryResult.OVERTURNED if pays else JuryResult.UPHELD
    assert decide(overturn, uphold, quorum, threshold) is expected


def test_xiang_hu_bao_numbers() -> None:
    assert decide(500, 501, 1001, 50) is JuryResult.UPHELD  # 49.95%
    assert decide(501, 500, 1001, 50) is JuryResult.OVERTURNED
    assert decide(500, 500, 1001, 50) is JuryResult.NO_QUORUM  # 1,000 votes: not more than 1,000
    assert decide(550, 550, 1001, 50) is JuryResult.OVERTURNED  # exactly 50% pays


def test_a_public_vote_draws_nobody_and_has_no_seed(kit: Kit) -> None:
    jury = opened(kit)
    assert jury.mode is JuryMode.PUBLIC and jury.seed == ""
    assert (jury.quorum, jury.threshold_percent, jury.eligible_count) == (4, 50, 8)
    assert kit.read(lambda uow: uow.juries.seats(jury.id)) == []


def test_members_who_may_sit_vote_once_and_no_one_else(kit: Kit) -> None:
    jury = opened(kit, voters=8)
    kit.run(jury_svc.vote, jury.id, kit.crowd[0], Vote.OVERTURN, VOTING)
    with pytest.raises(Conflict) as twice:
        kit.run(jury_svc.vote, jury.id, kit.crowd[0], Vote.UPHOLD, VOTING)
    assert (twice.value.code, twice.value.status) == ("already-voted", 409)
    for outsider in (kit.crowd[9], kit.claimant_person):  # no juror test; the claimant
        with pytest.raises(Forbidden) as refused:
            kit.run(jury_svc.vote, jury.id, outsider, Vote.OVERTURN, VOTING)
        assert refused.value.code == "not-a-juror"
    with pytest.raises(Forbidden):
        kit.run(jury_svc.decline, jury.id, kit.crowd[1], VOTING)  # nobody holds a seat


def test_ballots_stay_sealed_until_the_deadline(kit: Kit) -> None:
    jury = opened(kit)
    votes(kit, jury, overturn=4, uphold=1)
    sealed = kit.read(lambda uow: uow.juries.get(jury.id))
    assert (sealed.overturn, sealed.uphold, sealed.result) == (None, None, None)
    with pytest.raises(Conflict) as early:  # a quorum is there, but anyone may still vote
        kit.run(jury_svc.close_jury, jury.id, "op", VOTING)
    assert early.value.code == "jury-still-voting"
    with pytest.raises(HuzhuError) as late:
        kit.run(jury_svc.vote, jury.id, kit.crowd[6], Vote.UPHOLD, jury.deadline + timedelta(1))
    assert late.value.code == "vote-deadline-passed"


@pytest.mark.parametrize(
    ("overturn", "uphold", "result", "state"),
    [
        (2, 2, "overturned", "announced"),  # 50% or more in favour pays the case
        (2, 3, "upheld", "rejected"),
        (3, 0, "no-quorum", "jury"),  # fewer than 4 valid votes: the rejection neither stands
    ],
)
def test_the_quorum_and_threshold_decide_and_the_tally_is_published(
    kit: Kit, overturn: int, uphold: int, result: str, state: str
) -> None:
    jury = opened(kit)
    votes(kit, jury, overturn, uphold)
    closed = kit.run(jury_svc.close_jury, jury.id, "op", jury.deadline)
    assert (closed.result and closed.result.value, closed.overturn, closed.uphold) == (
        result,
        overturn,
        uphold,
    )
    assert kit.state(jury.claim_id) == state
    [logged] = kit.log("jury-result", f"claim:{jury.claim_id}")
    assert logged["mode"] == "public" and logged["seed"] is None
    assert (logged["overturn"], logged["uphold"], logged["quorum"]) == (overturn, uphold, 4)
    assert (logged["threshold_percent"], logged["result"]) == (50, result)
    assert verify_problems(kit) == []


def test_a_case_without_quorum_gets_a_new_vote(kit: Kit) -> None:
    jury = opened(kit)
    votes(kit, jury, overturn=1, uphold=0)
    kit.run(jury_svc.close_jury, jury.id, "op", jury.deadline)
    again = kit.run(jury_svc.draw_jury, jury.claim_id, "op", jury.deadline + timedelta(hours=1))
    assert again.id != jury.id and again.is_open
    kit.run(jury_svc.vote, again.id, kit.crowd[0], Vote.OVERTURN, again.drawn_at)  # a new ballot


def test_verify_recomputes_a_published_result(kit: Kit) -> None:
    jury = opened(kit)
    votes(kit, jury, overturn=1, uphold=4)
    kit.run(jury_svc.close_jury, jury.id, "op", jury.deadline)
    [logged] = kit.log("jury-result", f"claim:{jury.claim_id}")
    forged = logged | {"result": "overturned"}
    with UnitOfWork(kit.engine) as uow:  # an operator publishing a result its tally denies
        public_record.append(uow, "jury-result", f"claim:{jury.claim_id}", forged, jury.deadline)
        uow.commit()
    report = kit.read(lambda uow: verify(uow, merkle=False))
    [check] = [c for c in report.checks if c.name == JURIES_CHECK]
    assert any("make it upheld" in p for p in check.problems), check.problems


def test_a_drawn_jury_publishes_its_seed_and_verifies(engine: Engine) -> None:
    kit = build(engine)
    claim_id = kit.submit()
    kit.run(decisions.reject, claim_id, "reviewer", "not-critical", "mild", at("2026-01-05"))
    kit.run(jury_svc.appeal, claim_id, "stage III", "claimant", at("2026-01-06"))
    kit.pass_tests(kit.crowd, at("2026-01-06"))
    jury = kit.run(jury_svc.draw_jury, claim_id, "op", OPENED, "published-seed-1")
    for person in kit.read(lambda uow: [s.person_id for s in uow.juries.seats(jury.id)]):
        kit.run(jury_svc.vote, jury.id, person, Vote.UPHOLD, VOTING)
    kit.run(jury_svc.close_jury, jury.id, "op", VOTING)
    [logged] = kit.log("jury-result", f"claim:{claim_id}")
    assert (logged["mode"], logged["seed"], logged["result"]) == (
        "drawn",
        "published-seed-1",
        "upheld",
    )
    assert logged["threshold_percent"] is None  # a strict majority
    assert verify_problems(kit) == []
