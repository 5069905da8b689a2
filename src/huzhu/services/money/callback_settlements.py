"""Applying a settled debit or a paid payout to the books: money leaves gateway-clearing once,
and an amount that does not match the instruction is refused as a reconciliation issue."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from huzhu.domain.ledger import AccountKind, Posting, Transaction, account_code
from huzhu.domain.ledger import member_credit_transaction as credit_txn
from huzhu.gateways.base import PAYOUT_PAID
from huzhu.services.members.prepaid import reactivate_if_funded
from huzhu.services.money.callback_checks import Refused, _failed, _fen
from huzhu.storage.repositories.plans.refunds import RefundRepository
from huzhu.storage.uow import UnitOfWork

STALE_PAYOUT = re.compile(r"-p(?P<claim>[0-9]+)-a(?P<attempt>[0-9]+)$")


def _clearing_txn(plan_id: str, key: str, kind: str, amount: int, into: AccountKind) -> Transaction:
    """Money leaves the gateway's clearing account for `into` (a payout: claims-payable)."""
    return Transaction(
        key=key,
        kind=kind,
        plan_id=plan_id,
        postings=(
            Posting(account_code(plan_id, into), amount),
            Posting(account_code(plan_id, AccountKind.GATEWAY_CLEARING), -amount),
        ),
        memo=kind,
    )


def _debit(uow: UnitOfWork, event: dict[str, Any], now: datetime) -> str:
    ref = event["ref"]
    batch = uow.collection.batch_by_ref(ref)
    if batch is None or batch.kind not in ("debit", "retry", "top-up"):
        raise Refused(404, "unknown-payment", f"no debit instruction {ref!r}")
    total, collected, failed = _fen(event, "total"), _fen(event, "collected"), _failed(event)
    failed_amount = sum(a for _, a, _ in failed)
    if total != batch.amount:
        raise Refused(
            409, "amount-mismatch", f"total {total}, instructed {batch.amount}", issue=True,
            expected=batch.amount, actual=total,
        )  # fmt: skip
    if collected + failed_amount != total or len(failed) > batch.items:
        raise Refused(
            409, "amount-mismatch", f"collected {collected} + failed {failed_amount} != {total}",
            issue=True, expected=total, actual=collected + failed_amount,
        )  # fmt: skip
    if batch.status == "settled":
        if (batch.collected, batch.failed_items) != (collected, len(failed)):
            raise Refused(
                409, "conflicting-settlement",
                f"settled before with {batch.collected} collected, now {collected}", issue=True,
                expected=batch.collected, actual=collected,
            )  # fmt: skip
        return "already-settled"
    if batch.kind == "top-up":
        if failed and failed[0][0] != batch.first_membership_id:
            raise Refused(409, "amount-mismatch", "the failed member is not the payer", issue=True)
    elif uow.collection.owed_in_batch(batch, [(m, a) for m, a, _ in failed]) != len(failed):
        raise Refused(409, "amount-mismatch", "a failure is not in this instruction", issue=True)
    _apply_debit(uow, batch, collected, failed, now)
    return "applied"


def _apply_debit(
    uow: UnitOfWork,
    batch: Row[Any],
    collected: int,
    failed: list[tuple[int, int, str]],
    now: datetime,
) -> None:
    plan_id, ref = batch.plan_id, batch.gateway_ref
    failed_amount = sum(a for _, a, _ in failed)
    values = {"collected": collected, "failed_items": len(failed), "failed_amount": failed_amount}
    # Claim the batch first: a concurrent copy of this callback waits here, then finds it settled.
    if not uow.collection.settle_batch(batch.id, now, **values):
        raise Refused(200, "already-settled", "settled by another callback meanwhile")
    txn_id = None
    if collected:
        memo = f"{batch.kind} {ref}: {batch.items - len(failed)} of {batch.items} paid"
        if batch.kind == "top-up":
            memo = f"membership {batch.first_membership_id}"
        txn_id = uow.ledger.post(
            credit_txn(plan_id, f"settled:{ref}", collected, kind=batch.kind, memo=memo),
            now,
        )
        uow.collection.set_batch_transaction(batch.id, txn_id)
    if batch.kind == "debit":
        uow.collection_exceptions.add_failures(batch.round_id, plan_id, failed, batch.submitted_at)
    elif batch.kind == "retry":
        uow.collection_exceptions.settle_retry(batch.id, [m for m, _, _ in failed], now)
    elif collected and txn_id is not None:
        uow.ledger.credit_member(batch.first_membership_id, txn_id, collected, "top-up", now)
        reactivate_if_funded(uow, batch.first_membership_id, now)


def _refund(uow: UnitOfWork, batch: Row[Any], event: dict[str, Any], amount: int,
            now: datetime) -> str:  # fmt: skip
    """A closing plan's refund (services.plans.refunds): booked when sent; the answer settles it,
    or, when it failed, a new transaction gives the money back to the member's funds (the next
    `plans refund` run sends it again), as a failed payout waits for the next payout run."""
    if amount != batch.amount:
        raise Refused(
            409, "amount-mismatch", f"amount {amount}, instructed {batch.amount}", issue=True,
            expected=batch.amount, actual=amount,
        )  # fmt: skip
    paid = event["type"] == PAYOUT_PAID
    if batch.status != "submitted":
        if paid and batch.status in ("failed", "resent"):
            raise Refused(
                409, "conflicting-settlement", f"{batch.gateway_ref} failed before, now paid",
                issue=True,
            )  # fmt: skip
        return "already-settled"
    # Claim the transfer first: a concurrent copy of this callback waits here, then finds it done.
    if paid:
        settled = uow.collection.settle_batch(batch.id, now, collected=amount)
    else:
        settled = RefundRepository(uow.conn).mark(batch.id, "submitted", now, "failed")
    if not settled:
        raise Refused(200, "already-settled", "settled by another callback meanwhile")
    if not paid:
        memo = f"refund {batch.gateway_ref} failed: held for the member again"
        key = f"refund-failed:{batch.gateway_ref}"
        txn = credit_txn(batch.plan_id, key, amount, kind="refund-failed", memo=memo)
        txn_id = uow.ledger.post(txn, now)
        uow.ledger.credit_member(batch.first_membership_id, txn_id, amount, "refund-failed", now)
    return "applied"


def _payout(uow: UnitOfWork, event: dict[str, Any], now: datetime) -> str:
    ref, amount = event["ref"], _fen(event, "amount")
    payout = uow.payments.payout_by(ref=ref)
    refund = uow.collection.batch_by_ref(ref) if payout is None else None
    if refund is not None and refund.kind == "refund":
        return _refund(uow, refund, event, amount, now)
    if payout is None:
        stale = STALE_PAYOUT.search(ref)
        current = uow.payments.payout_by(claim_id=int(stale["claim"])) if stale else None
        if stale is None or current is None or int(stale["attempt"]) >= current.attempts:
            raise Refused(404, "unknown-payment", f"no payout instruction {ref!r}")
        if event["type"] == PAYOUT_PAID:
            raise Refused(409, "stale-paid", f"{ref} was retried but reports paid", issue=True)
        return "stale"
    if amount != payout.amount:
        raise Refused(
            409, "amount-mismatch", f"amount {amount}, instructed {payout.amount}", issue=True,
            expected=payout.amount, actual=amount,
        )  # fmt: skip
    paid = event["type"] == PAYOUT_PAID
    if payout.status != "submitted":
        if paid and payout.status == "failed":
            raise Refused(
                409, "conflicting-settlement", f"{ref} failed before, now paid", issue=True
            )
        return "already-settled"
    # Claim the payout first: a concurrent copy of this callback waits here, then finds it done.
    values = {"status": "paid", "paid_at": now} if paid else {"status": "failed"}
    if not uow.payments.update_payout(payout.id, "submitted", **values):
        raise Refused(200, "already-settled", "settled by another callback meanwhile")
    if paid:
        txn = _clearing_txn(
            payout.plan_id, f"settled:{ref}", "payout", amount, AccountKind.CLAIMS_PAYABLE
        )
        uow.payments.update_payout(payout.id, "paid", transaction_id=uow.ledger.post(txn, now))
        uow.payments.mark_claim_paid(payout.claim_id)
    return "applied"
