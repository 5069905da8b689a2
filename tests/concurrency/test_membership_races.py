"""Memberships and rounds under concurrent requests, on PostgreSQL: a leave racing top-ups on a
suspended prepaid membership, and rounds started twice at once."""

from __future__ import annotations

from datetime import date
from functools import partial

from moneykit import build, run
from racekit import one_winner, race, tally
from sqlalchemy import Engine, text

from helpers import at
from huzhu.domain.members import Lifecycle
from huzhu.services.members import prepaid
from huzhu.services.members import service as members
from huzhu.services.money.ledger import top_up
from huzhu.services.rounds.service import run_round
from huzhu.storage.uow import UnitOfWork

TOP_UPS = 5
LEAVE_AFTER_S = (0.0, 0.002, 0.004, 0.006, 0.008, 0.010, 0.015, 0.020)
ROUND = date(2026, 1, 7)


def _in_uow(engine: Engine, fn, *args, **kw):  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        result = fn(uow, *args, **kw)
        uow.commit()
    return result


def _suspended_prepaid(engine: Engine) -> list[int]:
    """A prepaid plan after a round: the members who never topped up are suspended."""
    w = build(engine, "qingsong-huzhu", "pre", 14, payout="100")
    for x in w.members[:4]:
        _in_uow(engine, top_up, x, 2000, f"deposit-{x}", at("2026-01-02"))
    run(engine, "pre", "2026-01-07")
    check = _in_uow(engine, prepaid.after_round, "pre", ROUND, at("2026-01-07", 13))
    assert check.suspended >= 4
    with UnitOfWork(engine) as uow:
        return [m for m in w.members if uow.memberships.get(m).lifecycle is Lifecycle.SUSPENDED]


def test_a_leave_racing_top_ups_never_ends_active_with_a_leaving_date(postgres: Engine) -> None:
    suspended = _suspended_prepaid(postgres)
    assert len(suspended) >= len(LEAVE_AFTER_S)
    for m, leave_after in zip(suspended, LEAVE_AFTER_S, strict=False):
        calls = [partial(_in_uow, postgres, members.leave, m, at("2026-01-08"))]
        calls += [
            partial(_in_uow, postgres, top_up, m, 5000, f"up-{m}-{i}", at("2026-01-08"))
            for i in range(TOP_UPS)
        ]
        # The leave lands at a different point of the top-ups' transactions each time.
        outcomes = race(calls, stagger_s=[leave_after])
        assert outcomes[0].label == "ok", tally(outcomes)
        with postgres.connect() as conn:
            row = conn.execute(
                text("SELECT lifecycle, left_at FROM memberships WHERE id = :m"), {"m": m}
            ).one()
        assert row.lifecycle == "left" and row.left_at is not None, (m, row, tally(outcomes))


def test_leaves_of_one_membership_leave_once(postgres: Engine) -> None:
    w = build(postgres, "qingsong-huzhu", "pre", 3, payout="100")
    m = w.members[0]
    calls = [partial(_in_uow, postgres, members.leave, m, at("2026-01-08"))] * 10
    one_winner(race(calls), "409 membership-already-left")
    with postgres.connect() as conn:
        q = "SELECT count(*) FROM membership_events WHERE membership_id = :m AND to_state = 'left'"
        assert conn.scalar(text(q), {"m": m}) == 1


def test_a_round_started_twice_at_once_is_run_once(postgres: Engine) -> None:
    w = build(postgres, "xiang-hu-bao", "post", 6, payout="100")
    calls = [partial(_in_uow, postgres, run_round, w.plan_id, ROUND, at("2026-01-07", 12))] * 6
    outcomes = race(calls)
    created = [o for o in outcomes if o.label == "ok" and o.value.created]
    assert len(created) == 1, tally(outcomes)
    assert set(tally(outcomes)) <= {"ok", "409 round-running"}, tally(outcomes)
    with postgres.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM rounds")) == 1
        shared = conn.scalar(text("SELECT count(*) FROM claims WHERE state = 'shared'"))
        assert shared == 1
        entries = conn.scalar(text("SELECT count(*) FROM public_log WHERE kind = 'round-result'"))
        assert entries == 1
