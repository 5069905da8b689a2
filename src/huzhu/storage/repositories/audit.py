"""Read-only queries that the audit uses to prove the ledger's invariants."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Row, func, literal, select

from huzhu.domain.ledger import AccountKind
from huzhu.storage.tables import (
    claims,
    ledger_accounts,
    ledger_heads,
    ledger_postings,
    ledger_transactions,
    member_charges,
    member_credits,
    memberships,
    rounds,
)


class AuditRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def unbalanced_transactions(self) -> list[Row[Any]]:
        total = func.coalesce(func.sum(ledger_postings.c.amount), 0)
        legs = func.count(ledger_postings.c.id)
        return list(
            self.conn.execute(
                select(ledger_transactions.c.id, ledger_transactions.c.key, total.label("total"))
                .outerjoin(
                    ledger_postings,
                    ledger_postings.c.transaction_id == ledger_transactions.c.id,
                )
                .group_by(ledger_transactions.c.id, ledger_transactions.c.key)
                .having((total != 0) | (legs < 2))
            )
        )

    def chain(
        self, plan_id: str, batch: int = 10_000
    ) -> Iterator[tuple[Row[Any], list[tuple[str, int]]]]:
        """Each transaction of a plan in order, with its postings, streamed in batches."""
        after = 0
        while True:
            txns = list(
                self.conn.execute(
                    select(ledger_transactions)
                    .where(
                        ledger_transactions.c.plan_id == plan_id,
                        ledger_transactions.c.id > after,
                    )
                    .order_by(ledger_transactions.c.id)
                    .limit(batch)
                )
            )
            if not txns:
                return
            legs: dict[int, list[tuple[str, int]]] = {t.id: [] for t in txns}
            for row in self.conn.execute(
                select(
                    ledger_postings.c.transaction_id,
                    ledger_accounts.c.code,
                    ledger_postings.c.amount,
                )
                .join(ledger_accounts, ledger_accounts.c.id == ledger_postings.c.account_id)
                .where(ledger_postings.c.transaction_id.between(txns[0].id, txns[-1].id))
            ):
                if row.transaction_id in legs:
                    legs[row.transaction_id].append((row.code, int(row.amount)))
            for t in txns:
                yield t, legs[t.id]
            after = txns[-1].id

    def heads(self) -> list[Row[Any]]:
        return list(self.conn.execute(select(ledger_heads).order_by(ledger_heads.c.plan_id)))

    def plan_ids(self) -> list[str]:
        return list(
            self.conn.scalars(select(ledger_heads.c.plan_id).order_by(ledger_heads.c.plan_id))
        )

    def account_mismatches(self) -> list[Row[Any]]:
        posted = (
            select(func.coalesce(func.sum(ledger_postings.c.amount), 0))
            .where(ledger_postings.c.account_id == ledger_accounts.c.id)
            .scalar_subquery()
        )
        return list(
            self.conn.execute(
                select(
                    ledger_accounts.c.code, ledger_accounts.c.balance, posted.label("posted")
                ).where(ledger_accounts.c.balance != posted)
            )
        )

    def account_balance(self, plan_id: str, kind: AccountKind) -> int:
        value = self.conn.scalar(
            select(ledger_accounts.c.balance).where(
                ledger_accounts.c.plan_id == plan_id, ledger_accounts.c.kind == kind.value
            )
        )
        return int(value or 0)

    def subledger_total(self, plan_id: str) -> int:
        """Members' credits minus their charges, over the whole plan."""
        credits = self.conn.scalar(
            select(func.coalesce(func.sum(member_credits.c.amount), 0))
            .join(memberships, memberships.c.id == member_credits.c.membership_id)
            .where(memberships.c.plan_id == plan_id)
        )
        charges = self.conn.scalar(
            select(func.coalesce(func.sum(member_charges.c.amount), 0))
            .join(rounds, rounds.c.id == member_charges.c.round_id)
            .where(rounds.c.plan_id == plan_id)
        )
        return int(credits or 0) - int(charges or 0)

    def rounds_with_detail(self) -> list[Row[Any]]:
        """Each round with what its charges and claims add up to, and its ledger postings."""
        charged = (
            select(func.coalesce(func.sum(member_charges.c.amount), 0))
            .where(member_charges.c.round_id == rounds.c.id)
            .scalar_subquery()
        )
        paid = (
            select(func.coalesce(func.sum(claims.c.payout), 0))
            .where(claims.c.round_id == rounds.c.id)
            .scalar_subquery()
        )
        cases = (
            select(func.count(claims.c.id))
            .where(claims.c.round_id == rounds.c.id)
            .scalar_subquery()
        )
        posted_funds = (
            select(func.coalesce(func.sum(ledger_postings.c.amount), 0))
            .join(ledger_accounts, ledger_accounts.c.id == ledger_postings.c.account_id)
            .where(
                ledger_postings.c.transaction_id == rounds.c.transaction_id,
                ledger_accounts.c.kind == literal(AccountKind.MEMBER_FUNDS.value),
            )
            .scalar_subquery()
        )
        return list(
            self.conn.execute(
                select(
                    rounds,
                    charged.label("charged_detail"),
                    paid.label("payouts_detail"),
                    cases.label("cases_detail"),
                    posted_funds.label("posted_funds"),
                ).order_by(rounds.c.plan_id, rounds.c.announce_date)
            )
        )
