"""The audit's money checks: no prepaid balance below zero, no cash below zero, and no payout
sent without the money for it (README, "Prepaid plans" and "Payouts")."""

from __future__ import annotations

from huzhu.domain.ledger import AccountKind, account_code
from huzhu.domain.money import format_yuan
from huzhu.domain.msgid import N_
from huzhu.domain.plan_schedule import CollectionMode
from huzhu.storage.repositories.audit.repository import AuditRepository
from huzhu.storage.repositories.members.family import FamilyRepository
from huzhu.storage.repositories.money.funds import FundsRepository
from huzhu.storage.uow import UnitOfWork

PREPAID_CHECK = N_("no prepaid balance is below zero")
CASH_CHECK = N_("no plan's cash is below zero")
PAYOUT_CHECK = N_("no payout was sent without the money for it")


def _plan_ids(uow: UnitOfWork) -> list[str]:
    return list(AuditRepository(uow.conn).plan_ids())


def negative_prepaid(uow: UnitOfWork) -> list[str]:
    repo = FamilyRepository(uow.conn)
    problems = []
    for plan_id in _plan_ids(uow):
        if uow.plans.get(plan_id).collection.mode is not CollectionMode.PREPAID:
            continue
        for row in repo.negative(plan_id):  # an account: a payer's and their dependants'
            held = format_yuan(int(row.held))
            problems.append(f"{plan_id}: the account of membership {row.first} holds {held} yuan")
    return problems


def cash_below_zero(uow: UnitOfWork) -> list[str]:
    problems = []
    for plan_id in _plan_ids(uow):
        cash = uow.ledger.balance(account_code(plan_id, AccountKind.CASH))
        if cash < 0:
            problems.append(f"{plan_id}: cash is {format_yuan(cash)} yuan")
    return problems


def payouts_without_money(uow: UnitOfWork) -> list[str]:
    """Replays each plan's money in time order: it must never go below zero."""
    repo = FundsRepository(uow.conn)
    problems = []
    for plan_id in _plan_ids(uow):
        held = 0
        for move in repo.movements(plan_id):
            held += move.amount
            if held < 0:
                problems.append(
                    f"{plan_id}: after {move.what} at {move.at.isoformat()} the plan held "
                    f"{format_yuan(held)} yuan"
                )
                break  # the first is the one to look at; the rest follow from it
    return problems
