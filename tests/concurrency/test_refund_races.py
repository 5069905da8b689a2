"""Failed refunds sent again by runs at once (a cron and an operator, a retried job): each failed
transfer goes out once more, once, on PostgreSQL."""

from __future__ import annotations

from functools import partial

from moneykit import Sandbox
from racekit import race
from sqlalchemy import Engine, text
from test_shutdown import PLAN, close, world

from helpers import at
from huzhu.services.plans import shutdown
from huzhu.storage.uow import UnitOfWork

TIMES = 4


def _resend(engine: Engine, box: Sandbox) -> int:
    with UnitOfWork(engine) as uow:
        done = shutdown.refund_members(uow, box(uow.conn), PLAN, at("2026-01-11"))
        uow.commit()
    return done.resent


def test_failed_refunds_resent_by_runs_at_once_go_out_once(postgres: Engine) -> None:
    members, box = world(postgres)
    box.set(payout_failure_bp=10_000)
    close(postgres, box, "2026-01-10")
    box.drain(at("2026-01-10", 12))
    box.set(payout_failure_bp=0)
    outcomes = race([partial(_resend, postgres, box)] * TIMES)
    assert all(o.label == "ok" for o in outcomes), [o.label for o in outcomes]
    assert sorted(o.value for o in outcomes) == [0] * (TIMES - 1) + [3]
    with postgres.connect() as conn:
        sent = conn.scalar(
            text("SELECT count(*) FROM sandbox_requests WHERE ref LIKE :p"),
            {"p": f"{PLAN}-refund-%-a2"},
        )
        held = conn.scalar(
            text("SELECT sum(amount) FROM member_credits WHERE kind IN ('refund', 'refund-failed')")
        )
    assert sent == len(members) == 3
    assert held == -3 * (500_00 - 1000_00 * 108 // 100 // 3)  # each refund out, back, out again
