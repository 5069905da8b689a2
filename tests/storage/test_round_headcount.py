"""Who a round charges: exactly the members locked at its headcount, after its own age-out.

On PostgreSQL the round counts and copies the charges through a second connection reading the
round's snapshot (storage/repositories/money/charge_copy.py), which cannot see the round's own
age-out; it must still charge the same members as the definition below. Runs on both databases.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Engine, text, update

from helpers import install
from huzhu.domain.members import Membership
from huzhu.domain.plan_fields import CHINA_TZ
from huzhu.services.rounds.service import run_round
from huzhu.simulation.seed import seed_approved_claim, seed_members
from huzhu.storage.tables import memberships
from huzhu.storage.uow import UnitOfWork

PLAN = "xiang-hu-bao"
JOINED = datetime(2026, 6, 1, 9, tzinfo=CHINA_TZ)
DAY = date(2027, 1, 7)
LOCK = datetime(2027, 1, 7, tzinfo=CHINA_TZ)  # 00:00 Beijing on the announcement day
NOW = LOCK + timedelta(hours=9)


def charges(engine: Engine, round_id: int) -> dict[int, int]:
    """Each charged member's amount in a round."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT membership_id, amount FROM member_charges WHERE round_id = :r"),
            {"r": round_id},
        )
        return {int(m): int(a) for m, a in rows}


def test_the_round_charges_exactly_the_locked_members(engine: Engine) -> None:
    install(engine, JOINED)
    seed_members(engine, PLAN, 60, JOINED)
    with engine.begin() as conn:
        states = {
            # id: (exit_on, lifecycle, left_at, suspended_at)
            2: (DAY, "active", None, None),  # reaches the exit age now: aged out, not charged
            3: (DAY + timedelta(days=1), "active", None, None),  # tomorrow: still charged
            4: (None, "left", LOCK - timedelta(hours=1), None),  # left before the lock
            5: (None, "left", LOCK + timedelta(hours=1), None),  # left after it: charged
            6: (None, "suspended", None, LOCK - timedelta(days=1)),  # suspended before
            7: (None, "suspended", None, LOCK + timedelta(hours=2)),  # after: charged
            8: (DAY - timedelta(days=30), "left", LOCK + timedelta(hours=3), None),
        }
        for mid, (exit_on, lifecycle, left_at, suspended_at) in states.items():
            conn.execute(
                update(memberships)
                .where(memberships.c.id == mid)
                .values(
                    exit_on=exit_on, lifecycle=lifecycle, left_at=left_at, suspended_at=suspended_at
                )
            )
        conn.execute(  # joined after the lock: not counted
            update(memberships)
            .where(memberships.c.id.in_([9, 10]))
            .values(joined_at=LOCK + timedelta(minutes=5))
        )
    seed_approved_claim(engine, PLAN, 1, 5_900, LOCK - timedelta(days=2))
    with UnitOfWork(engine) as uow:
        outcome = run_round(uow, PLAN, DAY, NOW)
        uow.commit()
    expected = set(range(1, 61)) - {2, 4, 6, 9, 10}
    charged = charges(engine, outcome.round.id)
    with engine.connect() as conn:
        aged = conn.execute(text("SELECT lifecycle, leave_reason FROM memberships WHERE id = 2"))
    assert set(charged) == expected
    # PostgreSQL copied them, leaving the members the round itself changed to its own view
    postgres = engine.dialect.name == "postgresql"
    assert outcome.charges_written_by == ("copy" if postgres else "insert")
    assert outcome.round.figures.members == len(expected) == 55
    assert outcome.aged_out == 1 and tuple(aged.one()) == ("left", "age-out")
    # every locked member owes the same (the share, capped per case)
    assert len(set(charged.values())) == 1
    assert sum(charged.values()) == outcome.round.figures.collected


def test_a_member_the_copy_cannot_see_sends_the_round_to_the_plain_insert(engine: Engine) -> None:
    """A membership written in the round's own transaction is invisible to the second connection:
    the copy cannot account for every locked member, so the round charges by the plain insert."""
    install(engine, JOINED)
    seed_members(engine, PLAN, 20, JOINED)
    with engine.begin() as conn:
        conn.execute(
            update(memberships)
            .where(memberships.c.id == 20)
            .values(lifecycle="left", left_at=JOINED + timedelta(days=1))
        )
    seed_approved_claim(engine, PLAN, 1, 5_900, LOCK - timedelta(days=2))
    with UnitOfWork(engine) as uow:
        person = uow.memberships.get(20).person_id
        rejoined = uow.memberships.add(
            Membership(None, PLAN, person, 1, joined_at=LOCK - timedelta(days=1))
        )
        outcome = run_round(uow, PLAN, DAY, NOW)
        uow.commit()
    assert set(charges(engine, outcome.round.id)) == set(range(1, 20)) | {rejoined}
    assert outcome.round.figures.members == 20
    assert outcome.charges_written_by == "insert"
