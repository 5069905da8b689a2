"""Reconciliation: the gateway's statement of a day against the books.

For every line of the statement (money the gateway says it moved for instructions of that day) the
books must show the same ref settled for the same amount. Each line that matches is settled from
the gateway-clearing account to the plan's custodial cash account (once per ref, whatever the
number of runs). Every difference, in either direction, is recorded as a reconciliation issue and
left in clearing, where the audit shows it until it is resolved. When everything matches the
clearing accounts return to zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from huzhu.domain.ledger import AccountKind, Posting, Transaction, account_code
from huzhu.domain.money import format_yuan
from huzhu.domain.plan_fields import CHINA_TZ
from huzhu.gateways.base import PaymentGateway, StatementLine
from huzhu.storage.uow import UnitOfWork


@dataclass
class Reconciliation:
    day: date
    lines: int = 0
    settled: int = 0  # lines whose settlement this run posted
    matched: int = 0
    issues: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues


def _settlement(plan_id: str, ref: str, kind: str, amount: int) -> Transaction:
    cash, clearing = AccountKind.CASH, AccountKind.GATEWAY_CLEARING
    # Debits bring money from the gateway to the bank; payouts take it from the bank.
    into, out_of = (cash, clearing) if kind == "debit" else (clearing, cash)
    return Transaction(
        key=f"settle:{ref}",
        kind="settlement",
        plan_id=plan_id,
        postings=(
            Posting(account_code(plan_id, into), amount),
            Posting(account_code(plan_id, out_of), -amount),
        ),
        memo=f"{kind} {ref} settled to the custodial account",
    )


def _booked(uow: UnitOfWork, line: StatementLine) -> tuple[str | None, int | None, str]:
    """(plan, amount the books show moved, problem) for a statement line's ref."""
    if line.kind == "debit":
        batch = uow.collection.batch_by_ref(line.ref)
        if batch is None:
            return None, None, "unknown-ref"
        if batch.status != "settled":
            return batch.plan_id, None, "callback-missing"
        return batch.plan_id, int(batch.collected), ""
    payout = uow.payments.payout_by(ref=line.ref)
    if payout is None:
        refund = uow.collection.batch_by_ref(line.ref)  # a closing plan's refund is a transfer
        if refund is None or refund.kind != "refund":
            return None, None, "unknown-ref"
        if refund.status != "settled":
            return refund.plan_id, None, "callback-missing"
        return refund.plan_id, int(refund.amount), ""
    if payout.status != "paid":
        return (
            payout.plan_id,
            None,
            "callback-missing" if payout.status == "submitted" else "paid-but-failed",
        )
    return payout.plan_id, int(payout.amount), ""


def reconcile(uow: UnitOfWork, gateway: PaymentGateway, day: date, now: datetime) -> Reconciliation:
    report = Reconciliation(day)

    def issue(ref: str, kind: str, expected: int | None, actual: int | None, detail: str) -> None:
        values = {
            "run_at": now, "gateway": gateway.name, "statement_date": day, "ref": ref,
            "kind": kind, "expected": expected, "actual": actual, "detail": detail,
        }  # fmt: skip
        report.issues.append(values)
        uow.payments.add_issue(values)

    lines = gateway.statement(day)
    report.lines = len(lines)
    for line in lines:
        plan_id, booked, problem = _booked(uow, line)
        if problem:
            moved = f"the gateway moved {format_yuan(line.amount)} yuan"
            issue(line.ref, problem, booked, line.amount, moved)
        elif booked != line.amount:
            detail = (
                f"the books show {format_yuan(booked or 0)} yuan, the gateway's statement "
                f"{format_yuan(line.amount)} yuan"
            )
            issue(line.ref, "amount-mismatch", booked, line.amount, detail)
        else:
            assert plan_id is not None
            report.matched += 1
            txn = _settlement(plan_id, line.ref, line.kind, line.amount)
            if uow.ledger.find(txn.key) is None:
                uow.ledger.post(txn, now)
                report.settled += 1
    seen = {line.ref for line in lines}
    start = datetime.combine(day, time(0), CHINA_TZ)
    for ref, kind, amount in uow.payments.moved_between(start, start + timedelta(days=1)):
        if ref not in seen:
            detail = (
                f"the books show {kind} {format_yuan(int(amount))} yuan; the gateway's statement "
                "has nothing"
            )
            issue(ref, "missing-from-statement", int(amount), None, detail)
    return report
