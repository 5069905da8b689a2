"""Double-entry rules: which accounts exist and how each movement of money is posted.

Amounts are signed fen: a debit is positive, a credit negative, and the postings of every
transaction sum to zero. An account's balance is the sum of its postings; `normal` says which sign a
healthy balance has, for display.

Each plan has its own set of accounts. Members' money is kept in one control account per plan
(`member-funds`); the per-member detail lives in a subsidiary ledger (each member's charges and
credits), and the audit proves that the subsidiary ledger adds up to the control account. This is
how a round for 100 million members stays one balanced transaction with a handful of postings.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from huzhu.domain.errors import InvalidInput
from huzhu.domain.money import Fen


class AccountKind(StrEnum):
    MEMBER_FUNDS = "member-funds"  # liability: money held for (or owed by) members
    CLAIMS_PAYABLE = "claims-payable"  # liability: approved payouts not yet paid
    FEE_INCOME = "fee-income"  # income: management fee
    BACKSTOP = "backstop"  # expense: what the operator pays above the caps
    SURPLUS_RESERVE = "surplus-reserve"  # liability: over-collection carried to the next round
    GATEWAY_CLEARING = "gateway-clearing"  # asset: money in transit at the payment gateway
    CASH = "cash"  # asset: the plan's custodial bank account
    # equity: money the operator paid into the plan so that what the backstop owes is there in
    # cash before a payout is sent
    OPERATOR_FUNDING = "operator-funding"
    DORMANCY_FEES = "dormancy-fees"  # income: fees on dormant prepaid accounts


DEBIT_NORMAL = frozenset({AccountKind.BACKSTOP, AccountKind.GATEWAY_CLEARING, AccountKind.CASH})

# Accounts that must come back to zero once every movement has settled.
CLEARING_KINDS = frozenset({AccountKind.GATEWAY_CLEARING})


def account_code(plan_id: str, kind: AccountKind) -> str:
    return f"{plan_id}:{kind.value}"


@dataclass(frozen=True)
class Posting:
    account: str
    amount: Fen


@dataclass(frozen=True)
class Transaction:
    key: str  # idempotency key: the same movement is never posted twice
    kind: str
    plan_id: str
    postings: tuple[Posting, ...]
    memo: str = ""

    def __post_init__(self) -> None:
        check_balanced(self.postings)


def check_balanced(postings: tuple[Posting, ...]) -> None:
    if len(postings) < 2:
        raise InvalidInput("a transaction needs at least two postings", code="ledger-unbalanced")
    total = sum(p.amount for p in postings)
    if total != 0:
        raise InvalidInput(f"postings sum to {total}, not 0", code="ledger-unbalanced")


def _txn(
    key: str, kind: str, plan_id: str, memo: str, *legs: tuple[AccountKind, Fen]
) -> Transaction:
    postings = tuple(Posting(account_code(plan_id, k), amt) for k, amt in legs if amt != 0)
    return Transaction(key=key, kind=kind, plan_id=plan_id, postings=postings, memo=memo)


def round_transaction(
    plan_id: str,
    round_key: str,
    *,
    charged: Fen,
    backstop: Fen,
    carry_in: Fen,
    payouts: Fen,
    fee: Fen,
    surplus: Fen,
) -> Transaction | None:
    """Members' charges, the backstop and the released surplus fund payouts, fee and new surplus.

    None when the round moves no money (no cases and nothing carried).
    """
    legs = (
        (AccountKind.MEMBER_FUNDS, charged),
        (AccountKind.BACKSTOP, backstop),
        (AccountKind.SURPLUS_RESERVE, carry_in - surplus),
        (AccountKind.CLAIMS_PAYABLE, -payouts),
        (AccountKind.FEE_INCOME, -fee),
    )
    if all(amount == 0 for _, amount in legs):
        return None
    return _txn(f"round:{plan_id}:{round_key}", "round", plan_id, f"round {round_key}", *legs)


def member_credit_transaction(
    plan_id: str, key: str, amount: Fen, *, kind: str = "top-up", memo: str = ""
) -> Transaction:
    """Money from a member arrives at the gateway and is held for them (a top-up or a debit)."""
    if amount <= 0:
        raise InvalidInput("a credit must be positive", code="amount-not-positive", field="amount")
    return _txn(
        key,
        kind,
        plan_id,
        memo,
        (AccountKind.GATEWAY_CLEARING, amount),
        (AccountKind.MEMBER_FUNDS, -amount),
    )


def operator_funding_transaction(plan_id: str, key: str, amount: Fen, memo: str) -> Transaction:
    """The operator pays money into the plan's custodial account: Dr cash / Cr operator-funding."""
    if amount <= 0:
        raise InvalidInput("funding must be positive", code="amount-not-positive", field="amount")
    return _txn(
        key,
        "operator-funding",
        plan_id,
        memo,
        (AccountKind.CASH, amount),
        (AccountKind.OPERATOR_FUNDING, -amount),
    )


def refund_transaction(plan_id: str, key: str, balances: Fen, shares: Fen) -> Transaction:
    """A closing plan's refunds leave through the gateway: what members held (from member-funds)
    and, when the plan refunds past shares, what the operator pays in (cash from
    operator-funding) and the plan pays back (the operator's expense, booked as backstop)."""
    if balances < 0 or shares < 0 or balances + shares == 0:
        raise InvalidInput("a refund must be positive", code="amount-not-positive", field="amount")
    return _txn(
        key,
        "refund",
        plan_id,
        "closing refunds: balances held for members, and shares the operator pays back",
        (AccountKind.MEMBER_FUNDS, balances),
        (AccountKind.BACKSTOP, shares),
        (AccountKind.CASH, shares),
        (AccountKind.OPERATOR_FUNDING, -shares),
        (AccountKind.GATEWAY_CLEARING, -(balances + shares)),
    )
