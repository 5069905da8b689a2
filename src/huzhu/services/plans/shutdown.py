"""Closing a plan (README, "Shutdown"; the rules are in domain.lifecycle).

`close_plan` decides the closing on the plan's row, held, so of two closes at once one wins and
the other finds it closed (`plan-closed`); the closing's primary key is the last guard. It marks
every round from the notice date as operator-paid (services.promotions), logs the closing in the
public record and, once the notice date has come, refunds members (`refund_members`).

A refund goes out through the gateway as a transfer to the member, one per member, in one
balanced transaction per plan:
- what a prepaid member holds leaves member-funds (the member's balance ends at 0);
- with `refund_past_shares`, the operator pays in every share each member ever paid (cash from
  operator-funding) and the plan pays it out (booked as backstop, the operator's expense);
- the whole leaves through gateway-clearing, which the day's statement settles against cash like
  any payout (services.reconcile).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from huzhu.domain import lifecycle
from huzhu.domain.errors import RuleViolation, Violation
from huzhu.domain.ledger import refund_transaction
from huzhu.domain.money import Fen
from huzhu.domain.plans import CollectionMode, local_date
from huzhu.gateways.base import PaymentGateway
from huzhu.services.plans import promotions
from huzhu.services.record import public_record
from huzhu.storage.repositories.money.collection import NewBatch
from huzhu.storage.repositories.plans.lifecycle import Closure, LifecycleRepository
from huzhu.storage.uow import UnitOfWork

PLAN_CLOSING = "plan-closing"
PLAN_REFUNDS = "plan-refunds"
REFUND = "refund"


@dataclass(frozen=True)
class Refunds:
    members: int
    balances: Fen  # prepaid balances refunded
    past_shares: Fen  # shares refunded, paid by the operator
    already_done: bool = False


@dataclass(frozen=True)
class ClosingOutcome:
    closure: Closure
    refunds: Refunds | None  # None: the notice date has not come; run `plans refund` then


def closing_of(uow: UnitOfWork, plan_id: str) -> lifecycle.ClosingDates | None:
    found = LifecycleRepository(uow.conn).closure(plan_id)
    return None if found is None else lifecycle.ClosingDates(found.notice_date, found.end_date)


def close_plan(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    plan_id: str,
    notice_date: date,
    end_date: date,
    now: datetime,
    *,
    refund_past_shares: bool = False,
) -> ClosingOutcome:
    dates = lifecycle.check_dates(notice_date, end_date)
    uow.plans.get(plan_id)  # an unknown plan is refused (404)
    uow.rounds.hold_plan(plan_id)  # the closing is decided on the plan's row
    lifecycle.check_not_closed(plan_id, closing_of(uow, plan_id))
    last = uow.rounds.previous(plan_id, date.max)
    lifecycle.check_notice_after_rounds(plan_id, notice_date, last.announce_date if last else None)
    closure = Closure(plan_id, notice_date, end_date, refund_past_shares, now)
    LifecycleRepository(uow.conn).add_closure(closure)
    note = f"the plan closes: members share nothing from {notice_date}"
    promotions.mark_operator_paid(
        uow, plan_id, notice_date, None, now, reason=lifecycle.SHUTDOWN, note=note
    )
    payload = {
        "plan": plan_id,
        "notice_date": notice_date.isoformat(),
        "end_date": end_date.isoformat(),
        "last_claim_day": dates.last_claim_day.isoformat(),
        "refund_due": dates.refund_due.isoformat(),
        "refund_past_shares": refund_past_shares,
    }
    public_record.append(uow, PLAN_CLOSING, f"plan:{plan_id}", payload, now)
    uow.inbox.add_for_plan(plan_id, CLOSING_KIND, _closing_params(plan_id, dates), now)
    refunds = None
    if local_date(now) >= notice_date:
        refunds = refund_members(uow, gateway, plan_id, now)
    return ClosingOutcome(closure, refunds)


CLOSING_KIND = "plan.closing"


def _closing_params(plan_id: str, dates: lifecycle.ClosingDates) -> dict[str, object]:
    """What every member is told of the closing (huzhu.messages words it in their language)."""
    return {
        "plan_id": plan_id,
        "notice_date": dates.notice_date.isoformat(),
        "end_date": dates.end_date.isoformat(),
        "last_claim_date": dates.last_claim_day.isoformat(),
        "refund_due_date": dates.refund_due.isoformat(),
    }


def refund_key(plan_id: str) -> str:
    return f"close-refund:{plan_id}"


def refund_ref(plan_id: str, membership_id: int) -> str:
    return f"{plan_id}-refund-m{membership_id}"


def refund_members(
    uow: UnitOfWork, gateway: PaymentGateway, plan_id: str, now: datetime
) -> Refunds:
    """Send each member's refund through the gateway, once (a repeated run changes nothing)."""
    uow.rounds.hold_plan(plan_id)
    repo = LifecycleRepository(uow.conn)
    closure = repo.closure(plan_id)
    if closure is None or local_date(now) < closure.notice_date:
        when = "it has not been closed" if closure is None else f"notice is {closure.notice_date}"
        raise RuleViolation([Violation("refund-not-due", f"{plan_id}: {when}", "plan")])
    if uow.ledger.find(refund_key(plan_id)) is not None:
        return Refunds(0, 0, 0, already_done=True)
    plan = uow.plans.get(plan_id)
    prepaid = plan.collection.mode is CollectionMode.PREPAID
    balances = repo.balances(plan_id) if prepaid else {}
    shares = repo.paid_shares(plan_id, prepaid=prepaid) if closure.refund_past_shares else {}
    members = sorted(set(balances) | set(shares))
    total_balances, total_shares = sum(balances.values()), sum(shares.values())
    if members:
        uow.ledger.open_plan_accounts(plan_id)
        txn = refund_transaction(plan_id, refund_key(plan_id), total_balances, total_shares)
        txn_id = uow.ledger.post(txn, now)
        for mid in members:
            amount = balances.get(mid, 0) + shares.get(mid, 0)
            if balances.get(mid):
                uow.ledger.credit_member(mid, txn_id, -balances[mid], REFUND, now)
            ref = refund_ref(plan_id, mid)
            uow.collection.add_batch(NewBatch(None, plan_id, 0, REFUND, mid, mid, 1, amount, ref),
                                     now)  # fmt: skip
            gateway.submit_payout(ref, mid, amount, now)
    payload = {
        "plan": plan_id,
        "members": len(members),
        "balances": total_balances,
        "past_shares": total_shares,
    }
    public_record.append(uow, PLAN_REFUNDS, f"plan:{plan_id}", payload, now)
    return Refunds(len(members), total_balances, total_shares)
