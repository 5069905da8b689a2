"""A public vote on PostgreSQL: one member's votes fired at once count once (the ballot's primary
key decides, the rest are 409), different members vote side by side, and none lands after the
count."""

from __future__ import annotations

from functools import partial

import pytest
from claimkit import Kit, build
from racekit import one_winner, race, tally
from sqlalchemy import Engine, text

from helpers import at
from huzhu.domain.jury import Vote
from huzhu.services.claims import decisions
from huzhu.services.claims import jury as jury_svc
from huzhu.storage.repositories.claims.juries import Jury

N = 8
PUBLIC = """
[claims]
jury_mode = "public"
jury_quorum = 2
jury_threshold_percent = 50
"""


@pytest.fixture
def kit(postgres: Engine) -> Kit:
    return build(postgres, rules=PUBLIC)


def opened(kit: Kit) -> Jury:
    claim_id = kit.submit()
    kit.run(decisions.reject, claim_id, "reviewer", "not-critical", "mild", at("2026-01-05"))
    kit.run(jury_svc.appeal, claim_id, "stage III", "claimant", at("2026-01-06"))
    kit.pass_tests(kit.crowd, at("2026-01-06"))
    return kit.run(jury_svc.draw_jury, claim_id, "op", at("2026-01-06", 12))


def ballots(kit: Kit, jury_id: int) -> int:
    with kit.engine.connect() as conn:
        q = "SELECT count(*) FROM jury_votes WHERE jury_id = :j"
        return int(conn.scalar(text(q), {"j": jury_id}) or 0)


def test_one_members_simultaneous_votes_count_once(kit: Kit) -> None:
    jury = opened(kit)
    member = kit.crowd[0]
    choices = [Vote.OVERTURN, Vote.UPHOLD] * (N // 2)
    calls = [partial(kit.run, jury_svc.vote, jury.id, member, c, at("2026-01-07")) for c in choices]
    one_winner(race(calls), "409 already-voted")
    assert ballots(kit, jury.id) == 1


def test_different_members_vote_side_by_side(kit: Kit) -> None:
    jury = opened(kit)
    calls = [
        partial(kit.run, jury_svc.vote, jury.id, person, Vote.OVERTURN, at("2026-01-07"))
        for person in kit.crowd[:N]
    ]
    assert tally(race(calls)) == {"ok": N}
    assert ballots(kit, jury.id) == N


def test_a_ballot_racing_the_close_is_counted_or_refused(kit: Kit) -> None:
    jury = opened(kit)
    for person in kit.crowd[1:4]:
        kit.run(jury_svc.vote, jury.id, person, Vote.UPHOLD, at("2026-01-07"))
    calls = [
        partial(kit.run, jury_svc.vote, jury.id, kit.crowd[0], Vote.OVERTURN, jury.deadline),
        partial(kit.run, jury_svc.close_jury, jury.id, "op", jury.deadline),
    ]
    assert tally(race(calls)).get("ok", 0) >= 1
    closed = kit.read(lambda uow: uow.juries.get(jury.id))
    assert (closed.overturn or 0) + (closed.uphold or 0) == ballots(kit, jury.id)
