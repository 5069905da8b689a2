"""Prepaid plans: money arrives as top-ups through the gateway; a round takes each charge from the
member's balance (credits minus charges) the moment it runs.

After each round (`huzhu collect` on a prepaid plan): every member whose balance is below the
plan's `reminder_balance` is reminded (a `balance.low` webhook to their host app, and a notice on
their statement); below `minimum_balance` their cover is suspended. A top-up that brings the
balance back to the minimum or more reactivates the cover at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from huzhu.domain import lifecycle
from huzhu.domain.errors import Conflict, InvalidInput
from huzhu.domain.members import Lifecycle, MembershipEvent
from huzhu.domain.money import Fen, check_amount
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plan_schedule import CollectionMode
from huzhu.gateways.base import DebitItem, PaymentGateway
from huzhu.services.money.collection import refuse, round_of
from huzhu.services.plans import promotions
from huzhu.services.plans.shutdown import closing_of
from huzhu.storage.repositories.members.family import FamilyRepository
from huzhu.storage.repositories.money.collection import NewBatch
from huzhu.storage.uow import UnitOfWork

LOW_BALANCE = "low-balance"
AWAITING_DEPOSIT = "awaiting-deposit"  # services.deposit: no cover until the deposit arrives


@dataclass(frozen=True)
class BalanceCheck:
    round_id: int
    reminded: int
    suspended: int
    already_done: bool


def after_round(uow: UnitOfWork, plan_id: str, announce_date: date, now: datetime) -> BalanceCheck:
    """Remind and suspend after a prepaid round; once per round (a second run changes nothing)."""
    uow.rounds.hold_plan(plan_id)  # a second run at once waits, then finds the first one's marker
    plan, record = round_of(uow, plan_id, announce_date)
    rules = plan.collection
    if rules.mode is not CollectionMode.PREPAID:
        raise refuse("not-prepaid", f"{plan_id} is post-paid: use collection batches", "plan")
    marker = f"{plan_id}-{announce_date:%Y%m%d}-balance"
    done = uow.collection.batch_by_ref(marker)
    if done is not None:
        return BalanceCheck(record.id, done.items, done.failed_items, True)
    reminder = rules.reminder_balance or rules.minimum_balance or 0
    # A round the operator paid took nothing from anyone: no one is reminded or suspended for it
    # (after a plan's notice of closing, balances are refunded and cover runs to the end date).
    operator_paid = promotions.paying(uow, plan_id, announce_date) is not None
    reminded = 0 if operator_paid else uow.payments.remind_low(record.id, reminder, now)
    suspended = 0
    if rules.minimum_balance is not None and not operator_paid:
        suspended = uow.payments.suspend_low(record.id, rules.minimum_balance, now)
    batch = NewBatch(record.id, plan_id, 0, "prepaid", 0, 0, reminded, 0, marker)
    uow.collection.add_batch(batch, now, status="settled", failed_items=suspended)
    return BalanceCheck(record.id, reminded, suspended, False)


def reactivate_if_funded(uow: UnitOfWork, membership_id: int, now: datetime) -> bool:
    """After money reached a membership: give back the cover of each membership of its account
    (in family order) that was suspended for a low balance and is now covered again."""
    family = FamilyRepository(uow.conn)
    return any([_reactivate(uow, m, now) for m in family.account_of(membership_id)])


def _reactivate(uow: UnitOfWork, membership_id: int, now: datetime) -> bool:
    """Give back the cover suspended for a low balance once the balance is high enough again.
    Decided on the membership's row, held: a leave that went first is seen, never undone."""
    membership = uow.memberships.get(membership_id, lock=True)
    if membership.lifecycle is not Lifecycle.SUSPENDED:
        return False
    rules = uow.plans.get(membership.plan_id).collection
    if rules.mode is not CollectionMode.PREPAID or rules.minimum_balance is None:
        return False
    events = uow.memberships.events(membership_id)
    if not events or events[-1].reason not in (LOW_BALANCE, AWAITING_DEPOSIT):
        return False  # suspended for another reason: a top-up does not lift it
    place, held = FamilyRepository(uow.conn).place_and_balance(membership_id)
    if held < place * rules.minimum_balance:  # the account holds the minimum for each up to it
        return False
    uow.payments.reactivate(membership_id)
    uow.memberships.add_event(
        membership_id, MembershipEvent(Lifecycle.SUSPENDED, Lifecycle.ACTIVE, "topped-up", now)
    )
    return True


def top_up_ref(plan_id: str, key: str) -> str:
    return f"{plan_id}-topup-{hashlib.sha256(key.encode()).hexdigest()[:24]}"


def request_top_up(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    membership_id: int,
    amount: Fen,
    key: str,
    now: datetime,
) -> str:
    """Ask the gateway to take a top-up from the member's account; credited when it settles.

    The same key asks once: repeating it returns the same ref, a different amount is refused.
    """
    check_amount(amount)
    if amount <= 0:
        raise InvalidInput(
            "a top-up must be more than 0", code="amount-not-positive", field="amount"
        )
    if not key or len(key) > 150:
        raise InvalidInput("an idempotency key of 1 to 150 characters is required", field="key")
    membership = uow.memberships.get(membership_id)
    if membership.lifecycle is Lifecycle.LEFT:
        raise InvalidInput("this membership has ended", code="membership-left", field="membership")
    lifecycle.check_top_up(membership.plan_id, closing_of(uow, membership.plan_id), local_date(now))
    ref = top_up_ref(membership.plan_id, key)
    existing = uow.collection.batch_by_ref(ref)
    if existing is not None:
        if (existing.first_membership_id, existing.amount) != (membership_id, amount):
            raise Conflict(
                "this key was used for another top-up", code="idempotency-key-reused", field="key"
            )
        return ref
    batch = NewBatch(None, membership.plan_id, 0, "top-up", membership_id, membership_id, 1,
                     amount, ref)  # fmt: skip
    uow.collection.add_batch(batch, now)
    gateway.submit_debits(ref, [DebitItem(membership_id, amount)], now)
    return ref


def require_prepaid(uow: UnitOfWork, membership_id: int, now: datetime) -> None:
    """Refuse a top-up for a post-paid plan: its members are debited per round and hold no
    balance, so money credited to them would sit unexplained in member-funds."""
    membership = uow.memberships.get(membership_id)
    rules = uow.plans.get(membership.plan_id, local_date(now))
    if rules.collection.mode is not CollectionMode.PREPAID:
        raise InvalidInput(
            f"{membership.plan_id} is post-paid: members are debited each round and hold no "
            "balance to top up",
            code="plan-not-prepaid",
            field="membership",
        )
