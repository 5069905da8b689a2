"""Every transition of a claim, an objection and a jury, fired N times at once on PostgreSQL: one
call wins, the others are refused (409) with a stable code, and the rows say it happened once.

Each call is a service with its own unit of work, as the API, the CLI and the jobs call them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

import pytest
from claimkit import PLAN, Kit, build
from racekit import one_winner, race, tally
from sqlalchemy import Engine, text

from helpers import at
from huzhu.domain.access import Role
from huzhu.domain.jury import Vote
from huzhu.services.claims import decisions
from huzhu.services.claims import investigation as inv
from huzhu.services.claims import jury as jury_svc
from huzhu.services.claims import objections as obj_svc
from huzhu.services.claims.objections import Outcome
from huzhu.storage.uow import UnitOfWork

N = 8


@pytest.fixture
def kit(postgres: Engine) -> Kit:
    return build(postgres)


def call(kit: Kit, fn: Callable[..., Any], *args: Any, **kw: Any) -> Callable[[], Any]:
    return partial(kit.run, fn, *args, **kw)


def events(kit: Kit, claim_id: int, action: str) -> int:
    with kit.engine.connect() as conn:
        q = "SELECT count(*) FROM claim_events WHERE claim_id = :c AND action = :a"
        return int(conn.scalar(text(q), {"c": claim_id, "a": action}) or 0)


def log_entries(kit: Kit, kind: str, claim_id: int) -> int:
    return len(kit.log(kind, f"claim:{claim_id}"))


def announced(kit: Kit) -> int:
    claim_id = kit.submit()
    kit.run(decisions.approve, claim_id, "reviewer", at("2026-01-05"), announce=True)
    return claim_id


def rejected(kit: Kit) -> int:
    claim_id = kit.submit()
    kit.run(decisions.reject, claim_id, "reviewer", "not-critical", "mild", at("2026-01-05"))
    return claim_id


def in_jury(kit: Kit) -> int:
    claim_id = rejected(kit)
    kit.run(jury_svc.appeal, claim_id, "stage III", "claimant", at("2026-01-06"))
    kit.pass_tests(kit.crowd, at("2026-01-06"))
    return claim_id


def test_approvals_of_one_claim_decide_it_once(kit: Kit) -> None:
    claim_id = kit.submit()
    won = race(
        [call(kit, decisions.approve, claim_id, f"r{i}", at("2026-01-05")) for i in range(N)]
    )
    one_winner(won, "409 claim-state", "409 already-paid-out")
    assert events(kit, claim_id, "approved") == 1
    assert kit.inbox(kit.claimant_person).count("claim.approved") == 1


def test_announcements_of_one_claim_write_one_card(kit: Kit) -> None:
    claim_id = kit.submit()
    calls = [
        call(kit, decisions.approve, claim_id, f"r{i}", at("2026-01-05"), announce=True)
        for i in range(N)
    ]
    one_winner(race(calls), "409 claim-state", "409 already-paid-out")
    assert events(kit, claim_id, "announced") == 1
    assert log_entries(kit, "case-announced", claim_id) == 1


def test_approve_reject_and_withdraw_at_once_leave_one_decision(kit: Kit) -> None:
    # The decisions that close a submitted claim. An announcement is not one of them: the
    # claimant may still withdraw an announced case, so announce-then-withdraw is two rightful
    # steps (the announcements race alone above).
    claim_id = kit.submit()
    day = at("2026-01-05")
    calls = [
        call(kit, decisions.approve, claim_id, "r1", day, announce=False),
        call(kit, decisions.approve, claim_id, "r2", day, announce=False),
        call(kit, decisions.reject, claim_id, "r3", "not-critical", "mild", day),
        call(kit, inv.withdraw, claim_id, "claimant", day),
    ] * 2
    one_winner(race(calls), "409 claim-state", "409 already-paid-out")
    decided = sum(events(kit, claim_id, a) for a in ("approved", "rejected", "withdrawn"))
    assert decided == 1


def test_rejections_withdrawals_and_reopenings_happen_once(kit: Kit) -> None:
    day = at("2026-01-05")
    claim_id = kit.submit()
    calls = [call(kit, decisions.reject, claim_id, "r", "not-critical", "mild", day)] * N
    one_winner(race(calls), "409 claim-state")
    assert events(kit, claim_id, "rejected") == 1
    calls = [call(kit, inv.reopen, claim_id, "r", "new evidence", at("2026-01-06"))] * N
    one_winner(race(calls), "409 claim-state")
    assert events(kit, claim_id, "reopened") == 1
    calls = [call(kit, inv.withdraw, claim_id, "claimant", at("2026-01-07"))] * N
    one_winner(race(calls), "409 claim-state")
    assert events(kit, claim_id, "withdrawn") == 1


def test_requests_for_documents_and_their_expiry_happen_once(kit: Kit) -> None:
    claim_id = kit.submit()
    calls = [call(kit, inv.request_documents, claim_id, "scan", "r", at("2026-01-05"))] * N
    one_winner(race(calls), "409 claim-state")
    assert events(kit, claim_id, "documents-requested") == 1
    late = at("2026-03-01")
    outcomes = race([call(kit, inv.expire_documents, PLAN, late)] * N)
    assert sum(o.value for o in outcomes if o.label == "ok") == 1, tally(outcomes)
    assert events(kit, claim_id, "rejected") == 1


def test_assignments_move_the_claim_under_investigation_once(kit: Kit) -> None:
    claim_id = kit.submit()
    with UnitOfWork(kit.engine) as uow:
        accounts = [
            uow.accounts.add(
                now=at("2026-01-04"), roles=frozenset({Role.REVIEWER}), username=f"a{i}"
            )
            for i in range(N)
        ]
        uow.commit()
    outcomes = race([call(kit, inv.assign, claim_id, a, "op", at("2026-01-05")) for a in accounts])
    assert tally(outcomes)["ok"] == N  # reassigning is allowed; moving on from submitted is not
    with kit.engine.connect() as conn:
        moved = conn.scalar(
            text(
                "SELECT count(*) FROM claim_events WHERE claim_id = :c AND from_state = 'submitted'"
                " AND to_state = 'under_investigation'"
            ),
            {"c": claim_id},
        )
    assert moved == 1


def test_announcements_become_final_once(kit: Kit) -> None:
    claim_id = announced(kit)
    outcomes = race([call(kit, decisions.finalize_announced, PLAN, at("2026-01-09"))] * N)
    assert sum(o.value for o in outcomes if o.label == "ok") == 1, tally(outcomes)
    assert events(kit, claim_id, "approved") == 1


def test_an_objection_per_member_and_one_review_of_it(kit: Kit) -> None:
    claim_id = announced(kit)
    objector = kit.crowd[0]
    calls = [call(kit, obj_svc.object_to, claim_id, objector, "early", at("2026-01-06"))] * N
    won = one_winner(race(calls), "409 already-objected")
    assert events(kit, claim_id, "objection") == 1
    objection_id = won.value.id
    calls = [
        call(kit, obj_svc.review, objection_id, o, "checked", f"r{i}", at("2026-01-07"))
        for i, o in enumerate([Outcome.UPHOLD, Outcome.DISMISS] * (N // 2))
    ]
    one_winner(race(calls), "409 objection-reviewed", "409 claim-state")
    assert events(kit, claim_id, "rejected") + events(kit, claim_id, "objection-dismissed") == 1


def test_appeals_and_jury_draws_happen_once(kit: Kit) -> None:
    claim_id = rejected(kit)
    kit.pass_tests(kit.crowd, at("2026-01-06"))
    calls = [call(kit, jury_svc.appeal, claim_id, "stage III", "claimant", at("2026-01-06"))] * N
    one_winner(race(calls), "409 claim-state", "409 appeal-not-open")
    assert events(kit, claim_id, "appealed") == 1
    calls = [
        call(kit, jury_svc.draw_jury, claim_id, "op", at("2026-01-06", 12), f"seed-{i:04d}")
        for i in range(N)
    ]
    one_winner(race(calls), "409 jury-open")
    with kit.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM juries")) == 1


def _drawn(kit: Kit) -> tuple[int, list[int]]:
    claim_id = in_jury(kit)
    jury = kit.run(jury_svc.draw_jury, claim_id, "op", at("2026-01-06", 12), "published-seed-1")
    seated = kit.read(lambda uow: [s.person_id for s in uow.juries.seats(jury.id)])
    return jury.id, seated


def test_a_juror_votes_or_declines_once(kit: Kit) -> None:
    jury_id, seated = _drawn(kit)
    calls = [
        call(kit, jury_svc.vote, jury_id, seated[0], Vote.OVERTURN, at("2026-01-07")),
        call(kit, jury_svc.decline, jury_id, seated[0], at("2026-01-07")),
    ] * (N // 2)
    one_winner(race(calls), "409 already-voted", "409 juror-declined")
    with kit.engine.connect() as conn:
        seats = conn.scalar(text("SELECT count(*) FROM jurors WHERE jury_id = :j"), {"j": jury_id})
    assert seats in (len(seated), len(seated) + 1)  # a decline seats one replacement, once


def test_a_jury_closes_once(kit: Kit) -> None:
    jury_id, seated = _drawn(kit)
    for person in seated:
        kit.run(jury_svc.vote, jury_id, person, Vote.OVERTURN, at("2026-01-07"))
    claim_id = kit.read(lambda uow: uow.juries.get(jury_id).claim_id)
    calls = [call(kit, jury_svc.close_jury, jury_id, f"op{i}", at("2026-01-08")) for i in range(N)]
    one_winner(race(calls), "409 jury-closed")
    assert log_entries(kit, "jury-result", claim_id) == 1
    assert events(kit, claim_id, "jury-overturned") == 1
    assert log_entries(kit, "case-announced", claim_id) == 1


def test_a_vote_racing_the_close_is_counted_or_refused(kit: Kit) -> None:
    jury_id, seated = _drawn(kit)
    for person in seated[1:]:
        kit.run(jury_svc.vote, jury_id, person, Vote.UPHOLD, at("2026-01-07"))
    deadline: datetime = kit.read(lambda uow: uow.juries.get(jury_id).deadline)
    calls = [
        call(kit, jury_svc.vote, jury_id, seated[0], Vote.OVERTURN, deadline),
        call(kit, jury_svc.close_jury, jury_id, "op", deadline),
    ]
    outcomes = race(calls)
    assert tally(outcomes)["ok"] >= 1, tally(outcomes)
    with kit.engine.connect() as conn:
        closed = conn.execute(
            text("SELECT overturn, uphold FROM juries WHERE id = :j"), {"j": jury_id}
        ).one()
        voted = conn.scalar(
            text("SELECT count(*) FROM jurors WHERE jury_id = :j AND status = 'voted'"),
            {"j": jury_id},
        )
    assert closed.overturn + closed.uphold == voted  # no vote lands after the count
