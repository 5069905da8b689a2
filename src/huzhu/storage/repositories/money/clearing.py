"""What sits in gateway-clearing: movements the gateway confirmed that no statement has yet settled
to cash (see `huzhu.services.money.reconcile`), with when each was confirmed and any issue
recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, exists, literal, select

from huzhu.storage.tables import ledger_transactions
from huzhu.storage.tables_money import collection_batches as batches
from huzhu.storage.tables_money import payouts, reconciliation_issues


@dataclass(frozen=True)
class InFlight:
    """One confirmed movement awaiting reconciliation; `amount` is signed as clearing holds it
    (a debit brought money in, a payout took it out)."""

    plan_id: str
    ref: str
    kind: str
    amount: int
    confirmed_at: datetime


class ClearingRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @staticmethod
    def _unsettled(ref: ColumnElement[str]) -> ColumnElement[bool]:
        return ~exists().where(ledger_transactions.c.key == literal("settle:") + ref)

    def in_flight(self) -> list[InFlight]:
        b, p = batches, payouts
        debits = select(
            b.c.plan_id, b.c.gateway_ref, literal("debit"), b.c.collected, b.c.settled_at
        ).where(
            b.c.status == "settled", b.c.kind != "refund", b.c.collected > 0,
            self._unsettled(b.c.gateway_ref),
        )  # fmt: skip
        paid = select(
            p.c.plan_id, p.c.gateway_ref, literal("payout"), -p.c.amount, p.c.paid_at
        ).where(p.c.status == "paid", self._unsettled(p.c.gateway_ref))
        # A closing plan's refund leaves clearing when it is sent (services.plans.refunds); one
        # that failed came back with its reversal (`refund-failed:REF`), so nothing is in flight.
        refunds = select(
            b.c.plan_id, b.c.gateway_ref, literal("refund"), -b.c.amount, b.c.submitted_at
        ).where(
            b.c.kind == "refund", b.c.status.in_(("submitted", "settled")),
            self._unsettled(b.c.gateway_ref),
        )  # fmt: skip
        rows = self.conn.execute(debits.union_all(paid, refunds))
        return [
            InFlight(str(r[0]), str(r[1]), str(r[2]), int(r[3]), r[4])
            for r in sorted(rows, key=lambda r: (str(r[0]), r[4], str(r[1])))
        ]

    def issues_of(self, refs: list[str]) -> dict[str, list[str]]:
        """The kinds of open reconciliation issue recorded against each of these refs (a resolved
        one was looked into by an operator, who wrote down how, see `services.reconcile_issues`)."""
        found: dict[str, list[str]] = {}
        if not refs:
            return found
        q = select(reconciliation_issues.c.ref, reconciliation_issues.c.kind).where(
            reconciliation_issues.c.ref.in_(refs), reconciliation_issues.c.resolved_at.is_(None)
        )
        for ref, kind in self.conn.execute(q.order_by(reconciliation_issues.c.id)):
            kinds = found.setdefault(str(ref), [])
            if kind not in kinds:
                kinds.append(str(kind))
        return found
