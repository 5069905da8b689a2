"""The operator's money: a payout is never sent without the money for it.

What a round's backstop owes (the caps, the shares a prepaid balance could not pay, debits still
failing when claimants are paid) is a promise of the operator until it is cash. Before payouts
are sent, the operator pays into the plan's custodial account whatever the plan does not hold
(cash and money at the gateway, less payouts already sent and not yet answered), so the plan's
money never goes below zero. `huzhu audit` checks it: see services.audit_funds.
"""

from __future__ import annotations

from datetime import datetime

from huzhu.domain.ledger import operator_funding_transaction
from huzhu.domain.money import Fen
from huzhu.storage.repositories.money.funds import FundsRepository
from huzhu.storage.uow import UnitOfWork


def fund_shortfall(uow: UnitOfWork, plan_id: str, sending: Fen, key: str, now: datetime) -> Fen:
    """Before sending `sending` fen of payouts: the operator pays in what the plan lacks.

    `key` names this sending (the first transfer's ref), so a repeated run funds once. Returns
    the amount paid in (0 when the plan holds enough).
    """
    if sending <= 0:
        return 0
    short = sending - FundsRepository(uow.conn).held(plan_id)
    if short <= 0:
        return 0
    uow.ledger.open_plan_accounts(plan_id)  # plans published before operator-funding existed
    memo = f"the operator pays in what the backstop owes before {key} is sent"
    txn = operator_funding_transaction(plan_id, f"fund:{key}", short, memo)
    uow.ledger.post(txn, now)
    return short
