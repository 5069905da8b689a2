"""The general ledger: accounts, balanced transactions and their postings, hash-chained per plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from huzhu.domain.chain import GENESIS, canonical_transaction, chain_digest
from huzhu.domain.errors import Conflict, NotFound
from huzhu.domain.ledger import AccountKind, Transaction, account_code
from huzhu.domain.money import Fen
from huzhu.storage.repositories.rounds.repository import charges_of_members
from huzhu.storage.tables import (
    ledger_accounts,
    ledger_heads,
    ledger_postings,
    ledger_transactions,
    member_charges,
    member_credits,
    memberships,
    rounds,
)


@dataclass(frozen=True)
class AccountBalance:
    code: str
    kind: str
    balance: Fen


@dataclass(frozen=True)
class PostedTransaction:
    id: int
    key: str
    kind: str
    memo: str
    posted_at: datetime
    postings: tuple[tuple[str, Fen], ...]


class LedgerRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def open_plan_accounts(self, plan_id: str) -> None:
        existing = set(
            self.conn.scalars(
                select(ledger_accounts.c.kind).where(ledger_accounts.c.plan_id == plan_id)
            )
        )
        for kind in AccountKind:
            if kind.value not in existing:
                self.conn.execute(
                    insert(ledger_accounts).values(
                        code=account_code(plan_id, kind),
                        plan_id=plan_id,
                        kind=kind.value,
                        balance=0,
                    )
                )
        if self.conn.scalar(
            select(ledger_heads.c.plan_id).where(ledger_heads.c.plan_id == plan_id)
        ):
            return
        self.conn.execute(insert(ledger_heads).values(plan_id=plan_id, digest=GENESIS, length=0))

    def _postings_of(self, txn_id: int) -> tuple[tuple[str, Fen], ...]:
        rows = self.conn.execute(
            select(ledger_accounts.c.code, ledger_postings.c.amount)
            .join(ledger_accounts, ledger_accounts.c.id == ledger_postings.c.account_id)
            .where(ledger_postings.c.transaction_id == txn_id)
        )
        return tuple(sorted((r.code, int(r.amount)) for r in rows))

    def find(self, key: str) -> PostedTransaction | None:
        row = self.conn.execute(
            select(ledger_transactions).where(ledger_transactions.c.key == key)
        ).first()
        if row is None:
            return None
        return PostedTransaction(
            row.id, row.key, row.kind, row.memo, row.posted_at, self._postings_of(row.id)
        )

    def post(self, txn: Transaction, at: datetime) -> int:
        """Append a balanced transaction; posting the same key again returns the first one."""
        return self.post_once(txn, at)[0]

    def post_once(self, txn: Transaction, at: datetime) -> tuple[int, bool]:
        """Like `post`, and also says whether this call created the transaction.

        Callers that write more than the transaction (a member's credit row) do so only when it
        was created here, so a retry that races the first attempt cannot add a second credit.
        """
        wanted = tuple(sorted((p.account, p.amount) for p in txn.postings))
        # Lock the plan's chain head first: a concurrent twin with the same key then waits here
        # until the first commits, and finds its transaction below instead of colliding.
        head = self.conn.execute(
            select(ledger_heads.c.digest, ledger_heads.c.length)
            .where(ledger_heads.c.plan_id == txn.plan_id)
            .with_for_update()
        ).first()
        if head is None:
            raise NotFound(f"plan {txn.plan_id!r} has no ledger", code="unknown-plan")
        existing = self.find(txn.key)
        if existing is not None:
            if existing.postings != wanted:
                raise Conflict(
                    f"transaction {txn.key!r} was already posted with other amounts",
                    code="idempotency-key-reused",
                )
            return existing.id, False
        ids: dict[str, int] = {
            row.code: row.id
            for row in self.conn.execute(
                select(ledger_accounts.c.code, ledger_accounts.c.id).where(
                    ledger_accounts.c.code.in_([p.account for p in txn.postings])
                )
            )
        }
        content = canonical_transaction(txn.key, txn.kind, txn.plan_id, txn.memo, at, wanted)
        digest = chain_digest(head.digest, content)
        result = self.conn.execute(
            insert(ledger_transactions).values(
                key=txn.key,
                kind=txn.kind,
                plan_id=txn.plan_id,
                memo=txn.memo,
                posted_at=at,
                prev_digest=head.digest,
                digest=digest,
            )
        )
        txn_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        self.conn.execute(
            insert(ledger_postings),
            [
                {"transaction_id": txn_id, "account_id": ids[p.account], "amount": p.amount}
                for p in txn.postings
            ],
        )
        for p in txn.postings:
            self.conn.execute(
                update(ledger_accounts)
                .where(ledger_accounts.c.id == ids[p.account])
                .values(balance=ledger_accounts.c.balance + p.amount)
            )
        self.conn.execute(
            update(ledger_heads)
            .where(ledger_heads.c.plan_id == txn.plan_id)
            .values(digest=digest, length=head.length + 1)
        )
        return txn_id, True

    def credit_member(
        self, membership_id: int, txn_id: int, amount: Fen, kind: str, at: datetime
    ) -> None:
        self.conn.execute(
            insert(member_credits).values(
                membership_id=membership_id, transaction_id=txn_id, amount=amount, kind=kind, at=at
            )
        )

    def balances(self, plan_id: str, at: datetime | None = None) -> list[AccountBalance]:
        """Every account of a plan; at a past moment when `at` is given (summed from postings)."""
        if at is None:
            rows = self.conn.execute(
                select(ledger_accounts.c.code, ledger_accounts.c.kind, ledger_accounts.c.balance)
                .where(ledger_accounts.c.plan_id == plan_id)
                .order_by(ledger_accounts.c.code)
            )
            return [AccountBalance(r.code, r.kind, int(r.balance)) for r in rows]
        total = (
            select(func.coalesce(func.sum(ledger_postings.c.amount), 0))
            .join(ledger_transactions, ledger_transactions.c.id == ledger_postings.c.transaction_id)
            .where(
                ledger_postings.c.account_id == ledger_accounts.c.id,
                ledger_transactions.c.posted_at <= at,
            )
            .scalar_subquery()
        )
        rows = self.conn.execute(
            select(ledger_accounts.c.code, ledger_accounts.c.kind, total.label("balance"))
            .where(ledger_accounts.c.plan_id == plan_id)
            .order_by(ledger_accounts.c.code)
        )
        return [AccountBalance(r.code, r.kind, int(r.balance)) for r in rows]

    def balance(self, code: str, at: datetime | None = None) -> Fen:
        plan_id = code.split(":", 1)[0]
        for b in self.balances(plan_id, at):
            if b.code == code:
                return b.balance
        raise NotFound(f"no account {code!r}", code="unknown-account", field="account")

    def transactions(
        self, plan_id: str, *, after_id: int = 0, limit: int = 100
    ) -> list[PostedTransaction]:
        rows = self.conn.execute(
            select(ledger_transactions)
            .where(ledger_transactions.c.plan_id == plan_id, ledger_transactions.c.id > after_id)
            .order_by(ledger_transactions.c.id)
            .limit(limit)
        )
        return [
            PostedTransaction(r.id, r.key, r.kind, r.memo, r.posted_at, self._postings_of(r.id))
            for r in rows
        ]

    def member_balance(self, membership_id: int, at: datetime | None = None) -> Fen:
        """Credits minus charges: positive is money held for the member, negative is owed."""
        return self.member_credited(membership_id, at) - self.member_charged(membership_id, at)

    def member_credited(self, membership_id: int, at: datetime | None = None) -> Fen:
        credits = select(func.coalesce(func.sum(member_credits.c.amount), 0)).where(
            member_credits.c.membership_id == membership_id
        )
        if at is not None:
            credits = credits.where(member_credits.c.at <= at)
        return int(self.conn.scalar(credits) or 0)

    def member_charged(self, membership_id: int, at: datetime | None = None) -> Fen:
        q = (
            select(func.coalesce(func.sum(member_charges.c.amount), 0))
            .select_from(charges_of_members())
            .where(memberships.c.id == membership_id)
        )
        if at is not None:
            q = q.where(rounds.c.created_at <= at)
        return int(self.conn.scalar(q) or 0)
