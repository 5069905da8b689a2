"""Issue 9, shutdown on a post-paid plan (Meituan refunded every past share): only what a debit
actually collected is refunded, paid in by the operator, and the books still balance."""

from __future__ import annotations

from datetime import date

from moneykit import Sandbox, build, reconcile_and_audit, run
from sqlalchemy import Engine, select

from helpers import at
from huzhu.gateways.sandbox import sandbox_requests
from huzhu.services.money import collection, payouts
from huzhu.services.plans import shutdown
from huzhu.storage.uow import UnitOfWork

SHARE = 108_000 // 4  # one 1,000-yuan claim plus 8%, among four members


def test_past_shares_refunded_are_those_the_debits_collected(engine: Engine) -> None:
    w = build(engine, "meituan-huzhu", "pp", 4)
    assert run(engine, "pp", "2026-01-11").round.figures.collected == 4 * SHARE
    box = Sandbox(engine)
    broke = w.members[3]
    box.set(failure_bp=0, payout_failure_bp=0, fail_members=frozenset({broke}))
    collection.collect(engine, box, "pp", date(2026, 1, 11), at("2026-01-15"))
    box.drain(at("2026-01-15"))
    with UnitOfWork(engine) as uow:
        payouts.run_payouts(uow, box(uow.conn), "pp", date(2026, 1, 11), at("2026-01-15", 11))
        uow.commit()
    box.drain(at("2026-01-15", 11))
    funded = 0
    with UnitOfWork(engine) as uow:
        funded = uow.ledger.balance("pp:operator-funding")
        done = shutdown.close_plan(
            uow, box(uow.conn), "pp", date(2026, 1, 16), date(2026, 1, 31), at("2026-01-16"),
            refund_past_shares=True,
        )  # fmt: skip
        uow.commit()
    assert done.refunds == shutdown.Refunds(3, 0, 3 * SHARE)
    with UnitOfWork(engine) as uow:
        sent = {
            int(p["membership_id"]): int(a)
            for p, a in uow.conn.execute(
                select(sandbox_requests.c.payload, sandbox_requests.c.amount).where(
                    sandbox_requests.c.ref.like("pp-refund-%")
                )
            )
        }
        assert uow.ledger.balance("pp:operator-funding") == funded - 3 * SHARE
    assert sent == {m: SHARE for m in w.members[:3]}  # not the member whose debit failed
    box.drain(at("2026-01-16"))
    reconcile_and_audit(engine, box, "2026-01-15", "2026-01-16")
