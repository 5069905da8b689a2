"""Closing a plan (README, "Shutdown"; the rules are in domain.lifecycle).

`close_plan` decides the closing on the plan's row, held, so of two closes at once one wins and
the other finds it closed (`plan-closed`); the closing's primary key is the last guard. It marks
every round from the notice date as operator-paid (services.promotions), logs the closing in the
public record and, once the notice date has come, refunds members (`refund_members`).

A refund goes out through the gateway as a transfer to the member, one per member, handed to
the gateway in batches, in one balanced transaction per plan (services.plans.refunds, which also
sends again the transfers the gateway reported failed):
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
from huzhu.domain.plan_fields import local_date
from huzhu.gateways.base import PaymentGateway
from huzhu.services.plans import promotions
from huzhu.services.plans.refunds import (
    PLAN_REFUNDS,
    REFUND,
    Refunds,
    refund_key,
    refund_members,
    refund_ref,
)
from huzhu.services.record import public_record
from huzhu.storage.repositories.plans.lifecycle import Closure, LifecycleRepository
from huzhu.storage.uow import UnitOfWork

PLAN_CLOSING = "plan-closing"
__all__ = ["PLAN_REFUNDS", "REFUND", "Refunds", "refund_key", "refund_members", "refund_ref"]


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
