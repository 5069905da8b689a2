"""The dormancy job (`huzhu collect dormancy`): Qingsong's fee on prepaid accounts that hold money
and have no active member, and its refund once the account is active again (domain.dormancy).

Run it as often as you like: a fee is one ledger transaction keyed by plan, payer and period, so
a period is charged once, and a refund is keyed by the fee it gives back. The run holds the plan's
row first (as rounds do), so two runs at once, or a run and a round, go one after the other and
the second decides on what the first wrote: a fee never takes more than the account holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from huzhu.domain import dormancy
from huzhu.domain.ledger import AccountKind, Posting, Transaction, account_code
from huzhu.domain.money import Fen
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plan_schedule import CollectionMode
from huzhu.storage.repositories.members.family import FamilyRepository
from huzhu.storage.uow import UnitOfWork

FEE_KIND = "dormancy-fee"
REFUND_KIND = "dormancy-refund"


@dataclass(frozen=True)
class DormancyRun:
    plan_id: str
    period: str
    charged: int  # accounts charged by this run
    fees: Fen
    refunded: int  # fees refunded by this run
    refunds: Fen


def _move(plan_id: str, key: str, kind: str, amount: Fen, memo: str) -> Transaction:
    """Member-funds to the dormancy-fee account (a fee), or back (a refund: amount < 0)."""
    return Transaction(
        key=key,
        kind=kind,
        plan_id=plan_id,
        postings=(
            Posting(account_code(plan_id, AccountKind.MEMBER_FUNDS), amount),
            Posting(account_code(plan_id, AccountKind.DORMANCY_FEES), -amount),
        ),
        memo=memo,
    )


def plans_with_fee(uow: UnitOfWork, now: datetime) -> list[str]:
    """The plans whose rules today charge a dormancy fee."""
    found = []
    for plan_id in uow.plans.ids():
        rules = uow.plans.get(plan_id, local_date(now)).collection
        if rules.mode is CollectionMode.PREPAID and rules.dormancy_fee is not None:
            found.append(plan_id)
    return found


def run(uow: UnitOfWork, plan_id: str, now: datetime) -> DormancyRun:
    """Charge this period's fee to each dormant account, and refund the fees of accounts active
    again. The caller commits."""
    uow.rounds.hold_plan(plan_id)
    rules = uow.plans.get(plan_id, local_date(now)).collection
    if rules.dormancy_fee is None or rules.dormancy_period_months is None:
        return DormancyRun(plan_id, "", 0, 0, 0, 0)
    uow.ledger.open_plan_accounts(plan_id)  # plans installed before the fee account existed
    period = dormancy.period_label(local_date(now), rules.dormancy_period_months)
    family = FamilyRepository(uow.conn)
    refunded = refunds = 0
    for key, membership_id, amount in family.fees_to_refund(
        plan_id, FEE_KIND, now - dormancy.REFUND_WITHIN
    ):
        memo = f"dormancy fee {key} refunded: the account is active again"
        txn = _move(plan_id, f"refund-of:{key}", REFUND_KIND, -int(amount), memo)
        txn_id, created = uow.ledger.post_once(txn, now)
        if created:
            uow.ledger.credit_member(membership_id, txn_id, int(amount), REFUND_KIND, now)
            refunded, refunds = refunded + 1, refunds + int(amount)
    charged = fees = 0
    for payer, held, first in family.dormant(plan_id):
        key = f"dormancy:{plan_id}:{payer}:{period}"
        if uow.ledger.find(key) is not None:
            continue  # this period's fee is taken; the balance it left may differ now
        fee = dormancy.fee_due(rules.dormancy_fee, int(held))
        memo = f"dormancy fee for {period}: no active member on the account"
        txn_id, created = uow.ledger.post_once(_move(plan_id, key, FEE_KIND, fee, memo), now)
        if created:
            uow.ledger.credit_member(int(first), txn_id, -fee, FEE_KIND, now)
            charged, fees = charged + 1, fees + fee
    return DormancyRun(plan_id, period, charged, fees, refunded, refunds)
