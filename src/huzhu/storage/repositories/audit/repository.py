"""Read-only queries that the audit uses to prove the ledger's invariants."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Row, and_, exists, func, literal, select

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
from huzhu.storage.tables_money import collection_batches as batches
from huzhu.storage.tables_money import collection_failures as failures


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
        """Members' credits minus their charges, plus what debit batches collected from them.

        A post-paid member's paid charge has no row of its own: it is counted through the settled
        batch that collected it (see `collected_detail` for the member-by-member proof).
        """
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
        collected = self.conn.scalar(
            select(func.coalesce(func.sum(batches.c.collected), 0)).where(
                batches.c.plan_id == plan_id,
                batches.c.kind.in_(("debit", "retry")),
                batches.c.status == "settled",
            )
        )
        return int(credits or 0) - int(charges or 0) + int(collected or 0)

    def collected_detail(self, plan_id: str) -> tuple[int, int]:
        """(what settled debit batches say they collected, the charges that shows as paid).

        A charge is paid when a settled debit batch of its round covers the member and the
        member has no open exception (failure, write-off, waiver) for the round.
        """
        said = self.conn.scalar(
            select(func.coalesce(func.sum(batches.c.collected), 0)).where(
                batches.c.plan_id == plan_id,
                batches.c.kind.in_(("debit", "retry")),
                batches.c.status == "settled",
            )
        )
        c = member_charges
        covered = and_(
            batches.c.round_id == c.c.round_id,
            batches.c.kind == "debit",
            batches.c.status == "settled",
            c.c.membership_id.between(batches.c.first_membership_id, batches.c.last_membership_id),
        )
        still_open = exists().where(
            failures.c.round_id == c.c.round_id,
            failures.c.membership_id == c.c.membership_id,
            failures.c.status != "collected",
        )
        shown = self.conn.scalar(
            select(func.coalesce(func.sum(c.c.amount), 0))
            .select_from(c.join(batches, covered))
            .where(batches.c.plan_id == plan_id, ~still_open)
        )
        return int(said or 0), int(shown or 0)

    def unbalanced_batches(self) -> list[Row[Any]]:
        """Settled batches whose collected and failed amounts do not add up to what was asked."""
        return list(
            self.conn.execute(
                select(batches.c.gateway_ref, batches.c.amount, batches.c.collected,
                       batches.c.failed_amount)
                .where(
                    batches.c.status == "settled",
                    batches.c.kind.in_(("debit", "retry", "top-up")),
                    batches.c.collected + batches.c.failed_amount != batches.c.amount,
                )
            )
        )  # fmt: skip

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

        def posted(kind: AccountKind) -> Any:
            return (
                select(func.coalesce(func.sum(ledger_postings.c.amount), 0))
                .join(ledger_accounts, ledger_accounts.c.id == ledger_postings.c.account_id)
                .where(
                    ledger_postings.c.transaction_id == rounds.c.transaction_id,
                    ledger_accounts.c.kind == literal(kind.value),
                )
                .scalar_subquery()
                .label(f"posted_{kind.name.lower()}")
            )

        return list(
            self.conn.execute(
                select(
                    rounds,
                    charged.label("charged_detail"),
                    paid.label("payouts_detail"),
                    cases.label("cases_detail"),
                    posted(AccountKind.MEMBER_FUNDS),
                    posted(AccountKind.CLAIMS_PAYABLE),
                    posted(AccountKind.FEE_INCOME),
                    posted(AccountKind.BACKSTOP),
                    posted(AccountKind.SURPLUS_RESERVE),
                ).order_by(rounds.c.plan_id, rounds.c.announce_date)
            )
        )

    def credits_off_their_posting(self) -> list[Row[Any]]:
        """Transactions whose member credits differ from what they posted to member-funds."""
        credited = (
            select(
                member_credits.c.transaction_id,
                func.sum(member_credits.c.amount).label("credited"),
                func.min(member_credits.c.membership_id).label("membership_id"),
            )
            .group_by(member_credits.c.transaction_id)
            .subquery()
        )
        funds = (
            select(
                ledger_postings.c.transaction_id, func.sum(ledger_postings.c.amount).label("posted")
            )
            .join(ledger_accounts, ledger_accounts.c.id == ledger_postings.c.account_id)
            .where(ledger_accounts.c.kind == AccountKind.MEMBER_FUNDS.value)
            .group_by(ledger_postings.c.transaction_id)
            .subquery()
        )
        return list(
            self.conn.execute(
                select(
                    ledger_transactions.c.id,
                    ledger_transactions.c.key,
                    credited.c.membership_id,
                    credited.c.credited,
                    func.coalesce(funds.c.posted, 0).label("posted"),
                )
                .select_from(
                    credited.join(
                        ledger_transactions, ledger_transactions.c.id == credited.c.transaction_id
                    ).outerjoin(funds, funds.c.transaction_id == credited.c.transaction_id)
                )
                .where(func.coalesce(funds.c.posted, 0) != -credited.c.credited)
            )
        )
