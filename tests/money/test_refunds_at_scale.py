"""Refunds at scale (docs/rules.md, "Shutdown"): a closing plan's refunds are set-based like the
round's collection. However many members a plan has, refunding them takes the same number of
database statements and hands the gateway one batch per 10,000 transfers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from moneykit import build
from sqlalchemy import Engine, event

from helpers import at
from huzhu.gateways.base import PayoutItem
from huzhu.gateways.sandbox import SandboxGateway
from huzhu.services.money.ledger import top_up
from huzhu.services.plans import shutdown
from huzhu.storage.uow import UnitOfWork


class Counting(SandboxGateway):
    """The sandbox, counting the instructions it is handed."""

    calls: list[int]

    def submit_payout(self, ref: str, membership_id: int, amount: int, now: datetime) -> None:
        self.calls.append(1)
        super().submit_payout(ref, membership_id, amount, now)

    def submit_payouts(self, items: Sequence[PayoutItem], now: datetime) -> None:
        self.calls.append(len(items))
        super().submit_payouts(items, now)


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def refund(engine: Engine, plan_id: str, members: int) -> tuple[int, list[int]]:
    w = build(engine, "qingsong-huzhu", plan_id, members)
    with UnitOfWork(engine) as uow:
        for i, m in enumerate(w.members):
            top_up(uow, m, 100_00, f"{plan_id}-t{i}", at("2026-01-02"))
        uow.commit()
    with UnitOfWork(engine) as uow:
        shutdown.close_plan(
            uow, SandboxGateway(uow.conn), plan_id, date(2026, 1, 10), date(2026, 1, 31),
            at("2026-01-09"), refund_past_shares=True,
        )  # fmt: skip
        uow.commit()
    with statements(engine) as seen, UnitOfWork(engine) as uow:
        gateway = Counting(uow.conn)
        gateway.calls = []
        done = shutdown.refund_members(uow, gateway, plan_id, at("2026-01-10"))
        uow.commit()
    assert done.members == members and done.balances == members * 100_00
    return len(seen), gateway.calls


def test_refunding_more_members_takes_no_more_statements(engine: Engine) -> None:
    few, few_calls = refund(engine, "small", 2)
    many, many_calls = refund(engine, "larger", 12)
    assert (few_calls, many_calls) == ([2], [12])  # one batch of transfers each
    assert many == few
