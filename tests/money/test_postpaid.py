"""Post-paid collection end to end through the sandbox gateway, on SQLite and PostgreSQL.

The sandbox fails 5% of debits (and two members always), answers late, twice and shuffled. The
round is collected in batches; failures are retried for the plan's three retry days, then written
off and the members leave for non-payment; a member who left before the collection date is not
debited; the claimant is paid in full once collection settles; reconciliation moves everything
from clearing to cash; `huzhu audit` passes.
"""

from __future__ import annotations

from datetime import date

import pytest
from moneykit import Sandbox, World, assert_audit_passes, balance, build, count, run
from sqlalchemy import Engine

from helpers import at
from huzhu.domain.claims import ClaimState
from huzhu.domain.errors import RuleViolation
from huzhu.domain.members import LeaveReason, Lifecycle
from huzhu.messages import render
from huzhu.services.members.service import leave
from huzhu.services.members.statement import statement
from huzhu.services.messaging.notify import MemoryNotifier, set_notifier
from huzhu.services.money import collection, payouts, reconcile
from huzhu.services.rounds.service import run_round
from huzhu.storage.tables_claims import inbox_messages
from huzhu.storage.tables_money import collection_batches, sandbox_requests
from huzhu.storage.uow import UnitOfWork

ROUND = date(2026, 1, 11)  # Meituan calendar: announce the 11th, collect the 15th


def world(engine: Engine, members: int = 200) -> World:
    w = build(engine, "meituan-huzhu", "pp", members)
    outcome = run(engine, "pp", "2026-01-11")
    assert outcome.round.figures.collected == 108_000  # 1,000 yuan plus 8%, shared evenly
    return w


def collect(engine: Engine, sandbox: Sandbox, when: str, hour: int = 10, **kw: int):
    return collection.collect(engine, sandbox, "pp", ROUND, at(when, hour), **kw)


def retry(engine: Engine, sandbox: Sandbox, when: str):
    run_ = collection.retry(engine, sandbox, "pp", at(when))
    sandbox.drain(at(when))
    return run_


def pay(engine: Engine, sandbox: Sandbox, when: str):
    with UnitOfWork(engine) as uow:
        result = payouts.run_payouts(uow, sandbox(uow.conn), "pp", ROUND, at(when, 11))
        uow.commit()
    sandbox.drain(at(when, 11))
    return result


def reconcile_days(engine: Engine, sandbox: Sandbox, *days: str) -> list[reconcile.Reconciliation]:
    reports = []
    for day in days:
        with UnitOfWork(engine) as uow:
            reports.append(
                reconcile.reconcile(uow, sandbox(uow.conn), date.fromisoformat(day), at(day, 23))
            )
            uow.commit()
    return reports


def test_a_post_paid_round_is_collected_retried_written_off_paid_and_reconciled(
    engine: Engine,
) -> None:
    w = world(engine)
    stubborn = {w.members[10], w.members[120]}  # their accounts are always empty
    sandbox = Sandbox(engine)
    sandbox.set(failure_bp=500, fail_members=frozenset(stubborn), duplicate_bp=5_000)
    leaver = w.members[5]

    # Told first: before the collection date the statement says what is due and when.
    with UnitOfWork(engine) as uow:
        notice = statement(uow, leaver, at("2026-01-12"))
    assert notice.collection[notice.lines[-1].round_id] == "due on 2026-01-15"
    assert any("5.40 yuan" in n and "2026-01-15" in n for n in notice.notices)
    set_notifier(MemoryNotifier())
    with UnitOfWork(engine) as uow:
        told = collection.notify_due(uow, "pp", ROUND, at("2026-01-11", 13))
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert collection.notify_due(uow, "pp", ROUND, at("2026-01-11", 14)) == told == 200
        messages = uow.inbox.page([uow.memberships.get(leaver).person_id], after_id=0, limit=10)
    set_notifier(None)
    assert count(engine, inbox_messages, inbox_messages.c.kind == "charge-due") == 200
    last = messages[-1]
    assert last.params["amount_fen"] == 540 and last.params["collect_date"] == "2026-01-15"
    worded = render(last.kind, last.params, "en").body
    assert "5.40 yuan" in worded and "2026-01-15" in worded
    with UnitOfWork(engine) as uow:
        leave(uow, leaver, at("2026-01-12"))
        uow.commit()

    with pytest.raises(RuleViolation) as early:
        collect(engine, sandbox, "2026-01-14")
    assert early.value.code == "collection-not-due"
    assert count(engine, collection_batches, collection_batches.c.kind == "debit") == 0

    first = collect(engine, sandbox, "2026-01-15", batch_size=50)
    assert (first.batches, first.members, first.complete) == (4, 199, True)
    assert first.waived == 540 and first.amount == 199 * 540
    again = collect(engine, sandbox, "2026-01-15", 11, batch_size=50)
    assert (again.batches, again.waived, again.complete) == (0, 0, True)
    assert count(engine, sandbox_requests) == 4

    # Payouts wait for the gateway's answers.
    with pytest.raises(RuleViolation) as waiting:
        pay(engine, sandbox, "2026-01-15")
    assert waiting.value.code == "collection-not-settled"

    assert sandbox.pump(at("2026-01-15", 10)) == 0  # nothing is answered at once
    sandbox.drain(at("2026-01-15", 10))
    with UnitOfWork(engine) as uow:
        batches = [b for b in uow.collection.batches(first.round_id) if b.kind == "debit"]
        failures = uow.collection_exceptions.failures(first.round_id)
        events = uow.payments.events()
    assert all(b.status == "settled" for b in batches)
    failed = {f.membership_id for f in failures if f.status == "outstanding"}
    assert stubborn <= failed and 2 < len(failed) < 30
    assert sum(b.collected for b in batches) == (199 - len(failed)) * 540
    outcomes = [e.outcome for e in events]
    assert outcomes.count("applied") == 4 and "duplicate" in outcomes

    # The claimant is paid in full although some debits failed; a failed transfer is resent.
    sandbox.set(payout_failure_bp=10_000)
    sent = pay(engine, sandbox, "2026-01-15")
    assert (sent.submitted, sent.retried) == (1, 0)
    sandbox.set(payout_failure_bp=0)
    resent = pay(engine, sandbox, "2026-01-16")
    assert (resent.submitted, resent.retried) == (0, 1)
    with UnitOfWork(engine) as uow:
        claim = uow.claims.get(w.claim_id)
        payout = uow.payments.payout_by(claim_id=w.claim_id)
    assert claim.state is ClaimState.PAID
    assert payout is not None and (payout.status, payout.attempts) == ("paid", 2)
    assert balance(engine, "pp:claims-payable") == 0

    # Retries once a day for three days; those still unpaid then leave for non-payment.
    day16 = retry(engine, sandbox, "2026-01-16")
    assert day16.retried_members == len(failed) and day16.written_off_members == 0
    assert retry(engine, sandbox, "2026-01-16").retried_members == 0  # once a day
    retry(engine, sandbox, "2026-01-17")
    retry(engine, sandbox, "2026-01-18")
    with UnitOfWork(engine) as uow:
        open_ = {f.membership_id for f in uow.collection_exceptions.failures(first.round_id)
                 if f.status == "outstanding"}  # fmt: skip
    assert open_ == stubborn
    final = retry(engine, sandbox, "2026-01-19")
    assert (final.written_off_members, final.written_off, final.retried_members) == (2, 1080, 0)
    with UnitOfWork(engine) as uow:
        statuses = {
            f.membership_id: f.status for f in uow.collection_exceptions.failures(first.round_id)
        }
        gone = uow.memberships.get(w.members[10])
        paid_member = statement(uow, w.members[0], at("2026-01-20"))
        stubborn_member = statement(uow, w.members[10], at("2026-01-20"))
        waived_member = statement(uow, leaver, at("2026-01-20"))
        reasons = [e.reason for e in uow.memberships.events(w.members[10])]
    assert statuses[leaver] == "waived"
    assert {m for m, s in statuses.items() if s == "written-off"} == stubborn
    assert {s for m, s in statuses.items() if m not in stubborn | {leaver}} == {"collected"}
    assert gone.lifecycle is Lifecycle.LEFT and gone.leave_reason is LeaveReason.NON_PAYMENT
    assert reasons == ["joined", "non-payment"]
    for s in (paid_member, stubborn_member, waived_member):
        assert s.balance == 0 and s.total_paid == 540
    assert paid_member.collection[paid_member.lines[-1].round_id] in (
        "collected",
        "collected on a retry",
    )
    assert "written off" in stubborn_member.collection[stubborn_member.lines[-1].round_id]
    assert "waived" in waived_member.collection[waived_member.lines[-1].round_id]

    # Before reconciliation the money sits in clearing, and the audit says so.
    assert balance(engine, "pp:gateway-clearing") != 0
    reports = reconcile_days(engine, sandbox, *[f"2026-01-{d}" for d in range(15, 20)])
    assert all(r.ok for r in reports), [r.issues for r in reports]
    collected = (199 - 2) * 540
    assert balance(engine, "pp:gateway-clearing") == 0
    assert balance(engine, "pp:cash") == collected - 100_000
    assert balance(engine, "pp:member-funds") == 0
    assert balance(engine, "pp:backstop") == 540 + 1080
    # Running it again settles nothing twice.
    assert [r.settled for r in reconcile_days(engine, sandbox, "2026-01-15")] == [0]
    assert_audit_passes(engine)


def test_a_crashed_collection_resumes_at_the_next_batch_and_never_debits_twice(
    engine: Engine,
) -> None:
    world(engine, 60)
    sandbox = Sandbox(engine)
    part = collect(engine, sandbox, "2026-01-15", batch_size=25, max_batches=1)
    assert (part.batches, part.complete) == (1, False)

    class Crash(Exception):
        pass

    calls = 0

    def crashing(bind):  # the process dies while sending the second batch
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Crash
        return sandbox(bind)

    with pytest.raises(Crash):
        collect(engine, crashing, "2026-01-15", batch_size=25)
    with UnitOfWork(engine) as uow:
        refs = [b.gateway_ref for b in uow.collection.batches(part.round_id)]
    assert refs == ["pp-20260111-waive", "pp-20260111-d1", "pp-20260111-d2"]

    rest = collect(engine, sandbox, "2026-01-15", 11, batch_size=25)
    assert (rest.batches, rest.members, rest.complete) == (1, 10, True)
    with UnitOfWork(engine) as uow:
        batches = [b for b in uow.collection.batches(part.round_id) if b.kind == "debit"]
    assert [b.gateway_ref for b in batches] == [f"pp-20260111-d{n}" for n in (1, 2, 3)]
    assert sum(b.items for b in batches) == 60 and count(engine, sandbox_requests) == 3
    # Resubmitting a ref the gateway knows changes nothing at the gateway.
    sandbox.gateway.submit_debits("pp-20260111-d1", [], at("2026-01-15", 12))
    assert count(engine, sandbox_requests) == 3
    sandbox.drain(at("2026-01-15", 12))
    assert count(engine, collection_batches, collection_batches.c.status == "submitted") == 0
    reconcile_days(engine, sandbox, "2026-01-15")
    assert_audit_passes(engine)


def test_a_prepaid_plan_is_not_debited_and_a_round_runs_once(engine: Engine) -> None:
    world(engine, 20)
    again = run(engine, "pp", "2026-01-11")  # the period has already run: nothing changes
    assert not again.created and again.round.figures.collected == 108_000
    with UnitOfWork(engine) as uow:
        assert len(uow.ledger.transactions("pp")) == 1
    with UnitOfWork(engine) as uow:
        run_round(uow, "qingsong-huzhu", date(2026, 1, 7), at("2026-01-07", 12))
        uow.commit()
    with pytest.raises(RuleViolation) as prepaid:
        collection.collect(
            engine, Sandbox(engine), "qingsong-huzhu", date(2026, 1, 7), at("2026-01-20")
        )
    assert prepaid.value.code == "not-post-paid"
    assert_audit_passes(engine)
