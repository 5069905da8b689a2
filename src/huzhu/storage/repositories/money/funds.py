"""What a plan's money is, and was: the custodial cash, the money at the gateway, the payouts
sent, and each prepaid member's balance. Read by the payout run (to fund a shortfall before it
sends) and by the audit (to prove no balance and no payout ever went below zero)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from huzhu.domain.ledger import AccountKind, account_code
from huzhu.domain.money import Fen
from huzhu.storage.tables import (
    ledger_accounts,
    ledger_postings,
    ledger_transactions,
)
from huzhu.storage.tables_money import payouts

FUNDS = (AccountKind.CASH, AccountKind.GATEWAY_CLEARING)
PAYOUT_KIND = "payout"  # the callback's posting of a paid transfer (services.callbacks)


@dataclass(frozen=True)
class Movement:
    at: datetime
    order: int  # postings before payouts sent at the same moment
    amount: Fen
    what: str


class FundsRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def held(self, plan_id: str) -> Fen:
        """Cash plus the money at the gateway, less the payouts sent and not yet answered."""
        codes = [account_code(plan_id, k) for k in FUNDS]
        held = self.conn.scalar(
            select(func.coalesce(func.sum(ledger_accounts.c.balance), 0)).where(
                ledger_accounts.c.code.in_(codes)
            )
        )
        pending = self.conn.scalar(
            select(func.coalesce(func.sum(payouts.c.amount), 0)).where(
                payouts.c.plan_id == plan_id, payouts.c.status == "submitted"
            )
        )
        return int(held or 0) - int(pending or 0)

    def movements(self, plan_id: str) -> list[Movement]:
        """Every movement of the plan's money in time order: postings to cash and the gateway
        (a paid transfer's posting left out) and each payout at the moment it was sent."""
        codes = [account_code(plan_id, k) for k in FUNDS]
        rows = self.conn.execute(
            select(
                ledger_transactions.c.posted_at,
                ledger_transactions.c.key,
                func.sum(ledger_postings.c.amount),
            )
            .join(ledger_postings, ledger_postings.c.transaction_id == ledger_transactions.c.id)
            .join(ledger_accounts, ledger_accounts.c.id == ledger_postings.c.account_id)
            .where(ledger_accounts.c.code.in_(codes), ledger_transactions.c.kind != PAYOUT_KIND)
            .group_by(
                ledger_transactions.c.id, ledger_transactions.c.posted_at, ledger_transactions.c.key
            )
        )
        found = [Movement(r[0], 0, int(r[2]), f"transaction {r[1]}") for r in rows]
        sent = self.conn.execute(
            select(payouts.c.submitted_at, payouts.c.amount, payouts.c.claim_id).where(
                payouts.c.plan_id == plan_id, payouts.c.status != "failed"
            )
        )
        found += [Movement(r[0], 1, -int(r[1]), f"the payout of claim {r[2]}") for r in sent]
        return sorted(found, key=lambda m: (m.at, m.order))
