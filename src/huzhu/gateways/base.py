"""The payment gateway interface: what huzhu asks of a bank or payment processor.

A gateway moves money in two directions: debits (members pay the plan, many members per
instruction) and payouts (the plan pays a claimant). Every instruction carries a `ref` chosen by
huzhu and deterministic, so that a resubmitted instruction (after a crash, a timeout, a retry of the
whole run) is recognised and ignored by the gateway: money never moves twice for one ref.

What happened is told later, by signed callbacks that huzhu receives on
`POST /v1/gateway/{name}/callbacks`:

- ``debit.settled``: one per debit instruction, batch-level. ``{"event_id", "type", "ref",
  "total", "collected", "failed": [{"membership_id", "amount", "reason"}]}``. Successful members are
  never listed one by one: at 100 million members a batch row plus a row per failure is all that is
  stored.
- ``payout.paid`` / ``payout.failed``: ``{"event_id", "type", "ref", "amount", "reason"}``.

Callbacks may arrive late, more than once and out of order; `services.callbacks` makes them
idempotent. The gateway's daily `statement` of money actually moved is what reconciliation checks
the ledger against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from huzhu.domain.money import Fen

DEBIT_SETTLED = "debit.settled"
PAYOUT_PAID = "payout.paid"
PAYOUT_FAILED = "payout.failed"
EVENT_TYPES = frozenset({DEBIT_SETTLED, PAYOUT_PAID, PAYOUT_FAILED})


@dataclass(frozen=True)
class DebitItem:
    membership_id: int
    amount: Fen


@dataclass(frozen=True)
class PayoutItem:
    """One transfer of a payout batch: answered on its own (`payout.paid` / `payout.failed`)."""

    ref: str
    membership_id: int
    amount: Fen


@dataclass(frozen=True)
class StatementLine:
    """Money the gateway actually moved: `debit` into the plan, `payout` out of it."""

    ref: str
    kind: str  # debit | payout
    amount: Fen


class PaymentGateway(Protocol):
    name: str
    # The HTTP header that carries the callback's signature.
    signature_header: str

    def submit_debits(self, ref: str, items: Sequence[DebitItem], now: datetime) -> None:
        """Ask to debit each member's linked account; a ref already submitted is ignored."""
        ...

    def submit_payout(self, ref: str, membership_id: int, amount: Fen, now: datetime) -> None:
        """Ask to pay a claimant; a ref already submitted is ignored."""
        ...

    def submit_payouts(self, items: Sequence[PayoutItem], now: datetime) -> None:
        """Ask for many transfers in one instruction (a bank's batch transfer); each item is
        answered by its own callback, and an item whose ref was already submitted is ignored."""
        ...

    def verify(self, body: bytes, signature: str) -> bool:
        """Whether a callback body was signed by this gateway."""
        ...

    def statement(self, day: date) -> list[StatementLine]:
        """Money actually moved for instructions of that day (Beijing time)."""
        ...
