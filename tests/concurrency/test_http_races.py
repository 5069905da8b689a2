"""The races of issue 10 through the HTTP API, on PostgreSQL: concurrent requests from several
reviewers (or one member's several tabs) each run in their own request and transaction."""

from __future__ import annotations

import pytest
from apikit import NOW, PLAN, Api, Clock, User
from racekit import one_winner, race
from sqlalchemy import Engine

from huzhu.services.claims.submission import MAX_OPEN_CLAIMS

N = 10


@pytest.fixture
def api(postgres: Engine) -> Api:
    return Api(postgres, Clock(NOW))


def reviewers(api: Api, n: int) -> list[User]:
    return [api.account(f"reviewer{i}", "reviewer") for i in range(n)]


def test_two_claims_of_one_member_approved_at_once_are_paid_once(api: Api) -> None:
    member = api.member("alice", name="李明华")
    m = member.memberships[PLAN]
    # As many claims as a membership may have awaiting a decision at once.
    claims = [api.claim(member, m) for _ in range(MAX_OPEN_CLAIMS)]
    deciders = reviewers(api, MAX_OPEN_CLAIMS)
    calls = [
        (lambda c=c, r=r: api.post(f"/v1/claims/{c}/approve", r))
        for c, r in zip(claims, deciders, strict=True)
    ]
    one_winner(race(calls), "409 already-paid-out", "409 claim-state")
    promised = "membership_id = :m AND state IN ('announced', 'approved', 'shared', 'paid')"
    assert api.count("claims", promised, m=m) == 1
    assert api.count("membership_events", "membership_id = :m AND to_state = 'left'", m=m) == 1


def test_ten_approvals_of_one_claim_answer_one_200(api: Api) -> None:
    member = api.member("bob", name="王建国")
    claim_id = api.claim(member, member.memberships[PLAN])
    calls = [(lambda r=r: api.post(f"/v1/claims/{claim_id}/approve", r)) for r in reviewers(api, N)]
    one_winner(race(calls), "409 claim-state", "409 already-paid-out")
    assert api.count("claim_events", "claim_id = :c AND action = 'approved'", c=claim_id) == 1
    assert api.count("inbox_messages", "kind = 'claim.approved'") == 1


def test_ten_announcements_of_one_claim_write_one_public_entry(api: Api) -> None:
    member = api.member("carol", name="吴小漫")
    claim_id = api.claim(member, member.memberships[PLAN])
    calls = [
        (lambda r=r: api.post(f"/v1/claims/{claim_id}/announce", r)) for r in reviewers(api, N)
    ]
    one_winner(race(calls), "409 claim-state", "409 already-paid-out")
    assert api.count("claim_events", "claim_id = :c AND action = 'announced'", c=claim_id) == 1
    subject = f"claim:{claim_id}"
    assert api.count("public_log", "kind = 'case-announced' AND subject = :s", s=subject) == 1


def test_twenty_leaves_write_one_left_event(api: Api) -> None:
    member = api.member("dan", name="刘洋")
    m = member.memberships[PLAN]
    tabs = [api.sign_in_again(member) for _ in range(20)]
    calls = [(lambda t=t: api.post(f"/v1/memberships/{m}/leave", t)) for t in tabs]
    one_winner(race(calls), "409 membership-already-left")
    assert api.count("membership_events", "membership_id = :m AND to_state = 'left'", m=m) == 1
