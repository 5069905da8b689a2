"""A closing plan's refunds (docs/rules.md, "Shutdown"), set-based like the round's collection.

The first run computes every member's refund in one query, books it as one balanced transaction
per plan (`close-refund:PLAN`), writes the members' credits and the transfer records in bulk and
hands the gateway batches of `BATCH` transfers. Each transfer is answered on its own.

A transfer the gateway reports failed is reversed by the callback (services.money.callbacks): a
new transaction puts the amount back in member-funds and the member's balance, so the money is
held for the member again. The next run sends it again under the ref of its next attempt
(`PLAN-refund-mID-aN`), one transaction per transfer keyed by that ref; the run holds the plan's
row and moves each failed transfer to `resent` on its row, so running twice sends once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from huzhu.domain.errors import RuleViolation, Violation
from huzhu.domain.ledger import refund_transaction
from huzhu.domain.money import Fen
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plan_schedule import CollectionMode
from huzhu.gateways.base import PaymentGateway, PayoutItem
from huzhu.services.record import public_record
from huzhu.storage.repositories.plans.lifecycle import LifecycleRepository
from huzhu.storage.repositories.plans.refunds import RefundRepository
from huzhu.storage.uow import UnitOfWork

PLAN_REFUNDS = "plan-refunds"
REFUND = "refund"
BATCH = 10_000  # transfers per gateway instruction


@dataclass(frozen=True)
class Refunds:
    members: int
    balances: Fen  # prepaid balances refunded
    past_shares: Fen  # shares refunded, paid by the operator
    already_done: bool = False
    resent: int = 0  # failed transfers sent again by this run


def refund_key(plan_id: str) -> str:
    return f"close-refund:{plan_id}"


def refund_ref(plan_id: str, membership_id: int, attempt: int = 1) -> str:
    base = f"{plan_id}-refund-m{membership_id}"
    return base if attempt == 1 else f"{base}-a{attempt}"


def _send(gateway: PaymentGateway, items: list[PayoutItem], now: datetime) -> None:
    for start in range(0, len(items), BATCH):
        gateway.submit_payouts(items[start : start + BATCH], now)


def refund_members(
    uow: UnitOfWork, gateway: PaymentGateway, plan_id: str, now: datetime
) -> Refunds:
    """Send each member's refund through the gateway, once; resend those that failed."""
    uow.rounds.hold_plan(plan_id)
    closure = LifecycleRepository(uow.conn).closure(plan_id)
    if closure is None or local_date(now) < closure.notice_date:
        when = "it has not been closed" if closure is None else f"notice is {closure.notice_date}"
        raise RuleViolation([Violation("refund-not-due", f"{plan_id}: {when}", "plan")])
    if uow.ledger.find(refund_key(plan_id)) is not None:
        return Refunds(0, 0, 0, already_done=True, resent=resend_failed(uow, gateway, plan_id, now))
    plan = uow.plans.get(plan_id)
    repo = RefundRepository(uow.conn)
    due = repo.due(
        plan_id,
        prepaid=plan.collection.mode is CollectionMode.PREPAID,
        past_shares=closure.refund_past_shares,
    )
    balances, shares = sum(d.balance for d in due), sum(d.shares for d in due)
    if due:
        uow.ledger.open_plan_accounts(plan_id)
        txn_id = uow.ledger.post(
            refund_transaction(plan_id, refund_key(plan_id), balances, shares), now
        )
        items = [
            (d.membership_id, d.balance, d.balance + d.shares, refund_ref(plan_id, d.membership_id),
             1)
            for d in due
        ]  # fmt: skip
        repo.book(plan_id, txn_id, items, now)
        _send(gateway, [PayoutItem(ref, mid, amount) for mid, _, amount, ref, _ in items], now)
    payload = {"plan": plan_id, "members": len(due), "balances": balances, "past_shares": shares}
    public_record.append(uow, PLAN_REFUNDS, f"plan:{plan_id}", payload, now)
    return Refunds(len(due), balances, shares)


def resend_failed(uow: UnitOfWork, gateway: PaymentGateway, plan_id: str, now: datetime) -> int:
    """Send again every refund transfer the gateway reported failed (the caller holds the plan).

    The failed transfer's amount is back in the member's funds (reversed by its callback): it
    leaves them again, through gateway-clearing, under the next attempt's ref."""
    repo = RefundRepository(uow.conn)
    sent: list[PayoutItem] = []
    for failed in repo.failed(plan_id):
        if not repo.mark(failed.batch_id, "failed", now, "resent"):
            continue
        attempt = failed.attempt + 1
        ref = refund_ref(plan_id, failed.membership_id, attempt)
        txn = refund_transaction(plan_id, f"refund:{ref}", failed.amount, 0)
        txn_id = uow.ledger.post(txn, now)
        repo.book(plan_id, txn_id, [(failed.membership_id, failed.amount, failed.amount, ref,
                                     attempt)], now)  # fmt: skip
        sent.append(PayoutItem(ref, failed.membership_id, failed.amount))
    _send(gateway, sent, now)
    if sent:
        payload = {"plan": plan_id, "resent": len(sent), "amount": sum(i.amount for i in sent)}
        public_record.append(uow, PLAN_REFUNDS, f"plan:{plan_id}", payload, now)
    return len(sent)
