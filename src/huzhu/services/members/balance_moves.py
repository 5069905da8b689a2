"""The money into and out of a prepaid member's balance, for their statement (README, "Prepaid
plans"): deposits, top-ups, shutdown refunds and failed refunds given back, dormancy fees and
their refunds, of the whole family account the membership shares (payer and dependants).

The list is paged by keyset on the credit rows, newest first. With the charges, it accounts for
the balance: the account's credits minus its charges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from huzhu.domain.balance_moves import DEPOSIT, mask_ref
from huzhu.domain.money import Fen
from huzhu.services.plans.refunds import refund_key, refund_ref
from huzhu.storage.repositories.members.family import SETTLED, FamilyRepository
from huzhu.storage.uow import UnitOfWork

PAGE = 50
# Transaction keys that carry the gateway's reference after their prefix.
_REF_PREFIXES = (SETTLED, "refund-failed:", "refund:")


@dataclass(frozen=True)
class BalanceMove:
    id: int  # the credit row's id: the keyset of the next page
    membership_id: int
    at: datetime
    kind: str  # huzhu.domain.balance_moves.KINDS
    amount: Fen  # positive into the balance, negative out of it
    ref: str | None  # the gateway's reference, masked when personal; None if no gateway


def _ref(key: str, plan_id: str, membership_id: int) -> str | None:
    if key == refund_key(plan_id):  # a closing plan's first refund run: one transaction for all
        return refund_ref(plan_id, membership_id)
    for prefix in _REF_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix) :]
    return None


def balance_moves(
    uow: UnitOfWork, membership_id: int, before_id: int = 0, limit: int = PAGE
) -> list[BalanceMove]:
    """One page of the account's moves, newest first, below credit id `before_id` (0: newest)."""
    plan_id = uow.memberships.get(membership_id).plan_id
    rows = FamilyRepository(uow.conn).moves(membership_id, before_id, limit)
    return [
        BalanceMove(
            id=int(r.id),
            membership_id=int(r.membership_id),
            at=r.at,
            kind=DEPOSIT if r.deposit and r.kind == "top-up" else str(r.kind),
            amount=int(r.amount),
            ref=mask_ref(_ref(str(r.key), plan_id, int(r.membership_id))),
        )
        for r in rows
    ]


def next_before(moves: list[BalanceMove], limit: int) -> int | None:
    """The keyset of the next page, None when this page was the last."""
    return moves[-1].id if len(moves) == limit and moves else None
