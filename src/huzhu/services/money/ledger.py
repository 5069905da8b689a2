"""Money arriving for a member: a top-up that has already reached the plan.

This flow settles at once: money reaches the gateway's clearing account and is then settled to the
plan's custodial cash account, so clearing returns to zero. A top-up asked of the payment gateway
(`services.prepaid.request_top_up`) is credited when the gateway's callback arrives and settled by
reconciliation. Either way, a top-up that brings a suspended prepaid member back to the plan's
minimum balance gives their cover back.
"""

from __future__ import annotations

from datetime import datetime

from huzhu.domain import lifecycle
from huzhu.domain.errors import InvalidInput
from huzhu.domain.ledger import (
    AccountKind,
    Posting,
    Transaction,
    account_code,
    member_credit_transaction,
)
from huzhu.domain.members import Lifecycle
from huzhu.domain.money import Fen, check_amount
from huzhu.domain.plan_fields import local_date
from huzhu.services.members.prepaid import reactivate_if_funded
from huzhu.services.plans.shutdown import closing_of
from huzhu.storage.uow import UnitOfWork


def top_up(uow: UnitOfWork, membership_id: int, amount: Fen, key: str, now: datetime) -> int:
    """Credit a member; the same idempotency key never credits twice. Returns the transaction id."""
    check_amount(amount)
    if amount == 0:
        raise InvalidInput(
            "a top-up must be more than 0", code="amount-not-positive", field="amount"
        )
    if not key or len(key) > 150:
        raise InvalidInput("an idempotency key of 1 to 150 characters is required", field="key")
    membership = uow.memberships.get(membership_id)
    if membership.lifecycle is Lifecycle.LEFT:
        raise InvalidInput("this membership has ended", code="membership-left", field="membership")
    plan_id = membership.plan_id
    lifecycle.check_top_up(plan_id, closing_of(uow, plan_id), local_date(now))
    full_key = f"top-up:{plan_id}:{key}"
    txn_id, created = uow.ledger.post_once(
        member_credit_transaction(plan_id, full_key, amount, memo=f"membership {membership_id}"),
        now,
    )
    if not created:
        return txn_id  # a replay, even one racing the first: post_once checked the amounts
    uow.ledger.credit_member(membership_id, txn_id, amount, "top-up", now)
    reactivate_if_funded(uow, membership_id, now)
    uow.ledger.post(
        Transaction(
            key=f"settle:{full_key}",
            kind="settlement",
            plan_id=plan_id,
            postings=(
                Posting(account_code(plan_id, AccountKind.CASH), amount),
                Posting(account_code(plan_id, AccountKind.GATEWAY_CLEARING), -amount),
            ),
            memo="sandbox gateway settled",
        ),
        now,
    )
    return txn_id
