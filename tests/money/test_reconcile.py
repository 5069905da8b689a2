"""Reconciliation: every difference between the gateway's statement and the books is flagged."""

from __future__ import annotations

from datetime import date

from moneykit import Sandbox, assert_audit_passes, balance, build, count, run
from sqlalchemy import Engine

from helpers import at
from huzhu.domain.money import format_yuan
from huzhu.gateways.base import DebitItem
from huzhu.services.audit.funds import CASH_CHECK
from huzhu.services.audit.service import audit
from huzhu.services.money import collection, payouts, reconcile
from huzhu.storage.tables_money import reconciliation_issues
from huzhu.storage.uow import UnitOfWork

DAY = date(2026, 1, 15)
CLEARING = "gateway clearing holds only money in flight, none overdue"


def reconcile_day(engine: Engine, box: Sandbox, day: date = DAY) -> reconcile.Reconciliation:
    with UnitOfWork(engine) as uow:
        report = reconcile.reconcile(uow, box(uow.conn), day, at(day.isoformat(), 23))
        uow.commit()
    return report


def test_mismatches_are_flagged_left_in_clearing_and_settle_once_resolved(engine: Engine) -> None:
    w = build(engine, "meituan-huzhu", "pp", 30)
    run(engine, "pp", "2026-01-11")
    box = Sandbox(engine)
    box.set(failure_bp=1_000, fail_members=frozenset({w.members[25]}))
    collection.collect(engine, box, "pp", date(2026, 1, 11), at("2026-01-15"), batch_size=10)
    box.drain(at("2026-01-15"))
    with UnitOfWork(engine) as uow:
        payouts.run_payouts(uow, box(uow.conn), "pp", date(2026, 1, 11), at("2026-01-15", 11))
        uow.commit()
    box.drain(at("2026-01-15", 11))
    with UnitOfWork(engine) as uow:
        d1 = uow.collection.batch_by_ref("pp-20260111-d1")
        d2 = uow.collection.batch_by_ref("pp-20260111-d2")
    # The bank reports 1 yuan more for batch 1 and nothing at all for batch 2, and shows a debit
    # nobody asked for; a retry went out whose answer has not arrived yet.
    box.gateway.inject_statement_error("pp-20260111-d1", 100)
    box.gateway.inject_statement_error(d2.gateway_ref, -d2.collected)
    box.gateway.submit_debits("pp-rogue", [DebitItem(1, 500)], at("2026-01-15", 9))
    box.set(fail_members=frozenset())  # the member's account is funded again
    assert collection.retry(engine, box, "pp", at("2026-01-16")).retried_members >= 1
    first = reconcile_day(engine, box)
    kinds = sorted((i["kind"], i["ref"]) for i in first.issues)
    assert kinds == [
        ("amount-mismatch", "pp-20260111-d1"),
        ("missing-from-statement", "pp-20260111-d2"),
        ("unknown-ref", "pp-rogue"),
    ]
    mismatch = next(i for i in first.issues if i["kind"] == "amount-mismatch")
    assert mismatch["actual"] == mismatch["expected"] + 100
    # The details name amounts in yuan, as every text for people does (fen stay in the columns).
    assert mismatch["detail"] == (
        f"the books show {format_yuan(mismatch['expected'])} yuan, the gateway's statement "
        f"{format_yuan(mismatch['actual'])} yuan"
    )
    rogue = next(i for i in first.issues if i["kind"] == "unknown-ref")
    assert rogue["detail"] == "the gateway moved 5.00 yuan"
    assert first.matched == 2 and first.settled == 2  # batch 3 and the payout
    retry_day = reconcile_day(engine, box, date(2026, 1, 16))
    assert [i["kind"] for i in retry_day.issues] == ["callback-missing"]

    # What did not match stays in clearing, and the audit says so.
    with UnitOfWork(engine) as uow:
        report = audit(uow, at("2026-01-16", 9))
    problems = {c.name: c.problems for c in report.checks if not c.ok}
    # The payout was settled from the bank while the debits that paid for it are not, so the
    # books' cash is below zero too.
    assert list(problems) == [CLEARING, CASH_CHECK]
    assert problems[CLEARING] == [
        f"debit pp-20260111-d1 ({format_yuan(d1.collected)} yuan, confirmed 22 h ago): "
        "reconciliation found amount-mismatch",
        f"debit pp-20260111-d2 ({format_yuan(d2.collected)} yuan, confirmed 22 h ago): "
        "reconciliation found missing-from-statement",
    ]
    assert reconcile_day(engine, box).settled == 0  # the same issues, recorded once
    assert count(engine, reconciliation_issues) == 4

    # The bank corrects its statement, the late answer arrives: everything settles.
    box.gateway.inject_statement_error("pp-20260111-d1", -100)
    box.gateway.inject_statement_error(d2.gateway_ref, d2.collected)
    box.drain(at("2026-01-16"))
    assert reconcile_day(engine, box).settled == 2
    assert reconcile_day(engine, box, date(2026, 1, 16)).ok
    assert balance(engine, "pp:gateway-clearing") == 0
    assert_audit_passes(engine)
