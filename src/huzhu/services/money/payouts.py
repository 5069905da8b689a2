"""Paying approved claims through the gateway once a round has collected.

The rule for partial collection (published in the README): once every debit batch of the round
has settled, each claimant is paid in full. Whatever members still owe (debits failed and being
retried) is advanced by the operator's backstop: a payout never waits on, or shrinks with, one
member's failed debit. A debit collected later on a retry comes back to the plan; one that never
is written off to the backstop when the member leaves for non-payment.

A payout whose transfer fails is sent again, with a new ref, the next time payouts run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from huzhu.domain.plan_schedule import CollectionMode
from huzhu.gateways.base import PaymentGateway
from huzhu.services.money.collection import is_complete, refuse, round_of
from huzhu.services.money.funding import fund_shortfall
from huzhu.storage.uow import UnitOfWork


@dataclass(frozen=True)
class PayoutRun:
    round_id: int
    submitted: int
    retried: int
    paid: int  # already paid before this run
    waiting: int  # sent and not yet answered


def payout_ref(plan_id: str, claim_id: int, attempt: int) -> str:
    return f"{plan_id}-p{claim_id}-a{attempt}"


def run_payouts(
    uow: UnitOfWork, gateway: PaymentGateway, plan_id: str, announce_date: date, now: datetime
) -> PayoutRun:
    """Send each of the round's claims to the gateway; resend failed ones. Safe to repeat."""
    uow.rounds.hold_plan(plan_id)  # two runs at once take turns: a failed payout is resent once
    plan, record = round_of(uow, plan_id, announce_date)
    if plan.collection.mode is CollectionMode.POSTPAID:
        _, _, unsettled = uow.collection.round_progress(record.id)
        if not is_complete(uow, record) or unsettled:
            raise refuse(
                "collection-not-settled",
                "claimants are paid once every debit of the round has been sent and settled: "
                "run `huzhu collect` and wait for the gateway's answers",
                "date",
            )
    submitted = retried = 0
    to_pay = uow.payments.claims_to_pay(record.id)
    failed = uow.payments.payouts(record.id, "failed")
    sending = sum(c.payout for c in to_pay) + sum(p.amount for p in failed)
    if sending:
        first = (
            payout_ref(plan_id, to_pay[0].id, 1)
            if to_pay
            else payout_ref(plan_id, failed[0].claim_id, failed[0].attempts + 1)
        )
        fund_shortfall(uow, plan_id, sending, first, now)
    for claim in to_pay:
        ref = payout_ref(plan_id, claim.id, 1)
        uow.payments.add_payout(claim, ref, now)
        gateway.submit_payout(ref, claim.membership_id, claim.payout, now)
        submitted += 1
    for payout in failed:
        attempt = payout.attempts + 1
        ref = payout_ref(plan_id, payout.claim_id, attempt)
        uow.payments.update_payout(
            payout.id, "failed", status="submitted", gateway_ref=ref, attempts=attempt,
            submitted_at=now,
        )  # fmt: skip
        gateway.submit_payout(ref, payout.membership_id, payout.amount, now)
        retried += 1
    paid = len(uow.payments.payouts(record.id, "paid"))
    waiting = len(uow.payments.payouts(record.id, "submitted"))
    return PayoutRun(record.id, submitted, retried, paid, waiting - submitted - retried)
