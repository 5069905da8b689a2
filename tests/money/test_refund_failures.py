"""A refund the gateway reports failed (docs/rules.md, "Shutdown"): the callback gives the money
back to the member's funds in a new transaction, and the next `plans refund` run sends it again
under the ref of its next attempt, once however often it runs. Audit and verify pass throughout."""

from __future__ import annotations

import pytest
from moneykit import Sandbox, balance, reconcile_and_audit
from sqlalchemy import Engine, select
from test_shutdown import HELD, PLAN, close, world

from helpers import at
from huzhu.gateways.sandbox import sandbox_requests
from huzhu.services.plans import shutdown
from huzhu.services.record.verify import verify
from huzhu.storage.tables_money import collection_batches
from huzhu.storage.uow import UnitOfWork


def sent(engine: Engine) -> dict[str, int]:
    with UnitOfWork(engine) as uow:
        q = select(sandbox_requests.c.ref, sandbox_requests.c.amount).where(
            sandbox_requests.c.ref.like(f"{PLAN}-refund-%")
        )
        return {str(r): int(a) for r, a in uow.conn.execute(q)}


def held(engine: Engine, members: list[int]) -> list[int]:
    with UnitOfWork(engine) as uow:
        return [uow.ledger.member_balance(m) for m in members]


def books_hold(engine: Engine, box: Sandbox, *days: str) -> None:
    reconcile_and_audit(engine, box, "2026-01-02", "2026-01-07", *days)
    with UnitOfWork(engine) as uow:
        report = verify(uow)
    assert report.ok, [c.problems for c in report.checks if not c.ok]


def resend(engine: Engine, box: Sandbox, now: str) -> shutdown.Refunds:
    with UnitOfWork(engine) as uow:
        done = shutdown.refund_members(uow, box(uow.conn), PLAN, at(now))
        uow.commit()
    return done


@pytest.mark.parametrize("past", [False, True])
def test_a_failed_refund_is_held_for_the_member_again_and_sent_once_more(
    engine: Engine, past: bool
) -> None:
    members, box = world(engine)
    each = 500_00 if past else HELD  # with past shares, the whole 500 yuan goes back
    box.set(payout_failure_bp=10_000)  # every transfer fails
    close(engine, box, "2026-01-10", past=past)
    box.drain(at("2026-01-10", 12))
    # The callbacks were applied (no reconciliation issue) and each member holds the refund again.
    assert held(engine, members) == [each] * 3
    books_hold(engine, box, "2026-01-10")
    assert balance(engine, f"{PLAN}:gateway-clearing") == 0
    with UnitOfWork(engine) as uow:
        assert uow.payments.issues() == []

    box.set(payout_failure_bp=0)
    assert resend(engine, box, "2026-01-11").resent == 3
    assert resend(engine, box, "2026-01-11").resent == 0  # running twice sends once
    again = {f"{PLAN}-refund-m{m}-a2": each for m in members}
    assert sent(engine) == {f"{PLAN}-refund-m{m}": each for m in members} | again
    assert held(engine, members) == [0, 0, 0]
    box.drain(at("2026-01-11", 12))
    books_hold(engine, box, "2026-01-10", "2026-01-11")
    assert balance(engine, f"{PLAN}:gateway-clearing") == 0
    with UnitOfWork(engine) as uow:
        statuses = uow.conn.execute(
            select(collection_batches.c.gateway_ref, collection_batches.c.status).where(
                collection_batches.c.kind == "refund"
            )
        )
        assert sorted(s for _, s in statuses) == ["resent"] * 3 + ["settled"] * 3
    assert resend(engine, box, "2026-01-12").resent == 0
    assert len(sent(engine)) == 6


def test_a_refund_reported_paid_after_it_failed_is_a_reconciliation_issue(engine: Engine) -> None:
    members, box = world(engine)
    box.set(payout_failure_bp=10_000)
    close(engine, box, "2026-01-10")
    box.drain(at("2026-01-10", 12))
    gw = box.gateway
    ref = f"{PLAN}-refund-m{members[0]}"
    event = {"event_id": "late-paid", "type": "payout.paid", "ref": ref, "amount": HELD}
    body = gw.body(event)
    assert box.deliver(at("2026-01-10", 13))(body, gw.sign(body)) == 409
    assert held(engine, members) == [HELD] * 3  # nothing moved
