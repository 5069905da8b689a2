"""The deposit a prepaid plan asks on joining (`[collection] initial_deposit`; Qingsong: 10 yuan).

The member's cover stays suspended (reason `awaiting-deposit`) until the deposit has arrived and
the balance reaches the plan's minimum. Through the API and the CLI (which always have a payment
gateway) the deposit is asked of the gateway under the join's key (the same key asks once), and a
join without a key is refused with `deposit-required`: nothing is written. An operator's bulk
import, which has no gateway, enrols members awaiting their deposit, which they then top up.
"""

from __future__ import annotations

from datetime import datetime

from huzhu.domain.errors import InvalidInput
from huzhu.domain.money import format_yuan
from huzhu.domain.plan_schedule import CollectionMode
from huzhu.domain.plans import Plan
from huzhu.gateways.base import PaymentGateway
from huzhu.services.members.prepaid import AWAITING_DEPOSIT, request_top_up
from huzhu.storage.repositories.members.cover import CoverRepository
from huzhu.storage.uow import UnitOfWork


def needs_deposit(plan: Plan) -> bool:
    rules = plan.collection
    return rules.mode is CollectionMode.PREPAID and bool(rules.initial_deposit)


def check_deposit(plan: Plan, gateway: PaymentGateway | None, key: str | None) -> None:
    """Refuse, before anything is written, a join that cannot pay the plan's deposit."""
    if needs_deposit(plan) and gateway is not None and not key:
        deposit = format_yuan(plan.collection.initial_deposit or 0)
        raise InvalidInput(
            f"{plan.id} asks a deposit of {deposit} yuan on joining, taken through the payment "
            "gateway: give a deposit key",
            code="deposit-required",
            field="deposit_key",
        )


def await_deposit(
    uow: UnitOfWork,
    plan: Plan,
    gateway: PaymentGateway | None,
    membership_id: int,
    key: str | None,
    now: datetime,
) -> str | None:
    """Suspend the new member's cover and ask the gateway for the deposit; returns its ref
    (None without a gateway: the member tops up)."""
    amount = plan.collection.initial_deposit
    assert amount
    CoverRepository(uow.conn).suspend(membership_id, AWAITING_DEPOSIT, now)
    if gateway is None or not key:
        return None
    return request_top_up(uow, gateway, membership_id, amount, f"deposit:{key}", now)


def await_deposits(uow: UnitOfWork, plan: Plan, person_ids: list[int], now: datetime) -> None:
    """Members enrolled in bulk (no gateway) wait for their deposit, as a top-up."""
    if needs_deposit(plan):
        CoverRepository(uow.conn).suspend_joined(plan.id, person_ids, AWAITING_DEPOSIT, now)
