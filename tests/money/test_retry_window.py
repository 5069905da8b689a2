"""Issue 9: Xiang Hu Bao retries a failed debit for 5 days from 0:00 the next day (the template
said 3). A debit failing on the collection date is not retried that day, is retried on each of the
next five days, and is written off (the member leaves for non-payment) on the sixth."""

from __future__ import annotations

from datetime import date

from moneykit import Sandbox, build, run
from sqlalchemy import Engine

from helpers import at
from huzhu.domain.members import LeaveReason
from huzhu.services.money import collection
from huzhu.storage.uow import UnitOfWork

ROUND = date(2026, 1, 7)  # Xiang Hu Bao: announce the 7th, collect the 14th


def test_xiang_hu_bao_retries_five_days_from_the_next_day_then_writes_off(engine: Engine) -> None:
    w = build(engine, "xiang-hu-bao", "xr", 20)
    run(engine, "xr", ROUND.isoformat())
    empty = w.members[3]
    sandbox = Sandbox(engine)
    sandbox.set(failure_bp=0, fail_members=frozenset({empty}))
    collection.collect(engine, sandbox, "xr", ROUND, at("2026-01-14"))
    sandbox.drain(at("2026-01-14"))

    def retry(day: str) -> collection.RetryRun:
        done = collection.retry(engine, sandbox, "xr", at(day, 0))  # 0:00 Beijing time
        sandbox.drain(at(day, 0))
        return done

    assert retry("2026-01-14").retried_members == 0  # not on the day of the failure
    for day in ("2026-01-15", "2026-01-16", "2026-01-17", "2026-01-18", "2026-01-19"):
        done = retry(day)
        assert (done.retried_members, done.written_off_members) == (1, 0), day
    last = retry("2026-01-20")
    assert (last.retried_members, last.written_off_members) == (0, 1)
    with UnitOfWork(engine) as uow:
        assert uow.memberships.get(empty).leave_reason is LeaveReason.NON_PAYMENT
