"""Operator-paid rounds (README, "Promotions"): the operator pays a period's rounds itself.

Xiang Hu Bao's early members shared nothing in their first month; Meituan paid its first rounds
itself; a closing plan's operator pays every round from the notice date (services.shutdown).
A round announced inside an operator-paid period charges every member 0: its whole need (payouts
and fee, less the surplus carried in) is the round's backstop, which the operator pays into the
plan before the payouts are sent (services.funding). The period, and each round it paid, go in
the public log; each member's statement lists the rounds the operator paid for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from huzhu.domain import lifecycle
from huzhu.domain.errors import InvalidInput
from huzhu.domain.members import Membership
from huzhu.domain.money import Fen
from huzhu.services.record import public_record
from huzhu.storage.repositories.plans.lifecycle import LifecycleRepository, OperatorPaid
from huzhu.storage.repositories.rounds.repository import RoundRecord
from huzhu.storage.uow import UnitOfWork

OPERATOR_PAID_PERIOD = "operator-paid-period"
ROUND_OPERATOR_PAID = "round-operator-paid"


@dataclass(frozen=True)
class PaidRound:
    """A round on a member's statement that the operator paid instead of the member."""

    round_id: int
    announce_date: date
    cases: int
    share: Fen  # what each member would have paid
    reason: str  # promotion | shutdown


def mark_operator_paid(
    uow: UnitOfWork,
    plan_id: str,
    first: date,
    last: date | None,
    now: datetime,
    *,
    reason: str = lifecycle.PROMOTION,
    note: str = "",
) -> OperatorPaid:
    """Mark the rounds announced from `first` to `last` (None: no end) as paid by the operator.

    Decided on the plan's row, held: a round of the plan running at once waits and then sees
    the period, or ran first and is charged as it was (a round already run is never re-charged).
    """
    lifecycle.check_period(first, last)
    if len(note) > 500:
        raise InvalidInput("the note is longer than 500 characters", field="note")
    uow.plans.get(plan_id)  # an unknown plan is refused (404)
    uow.rounds.hold_plan(plan_id)
    repo = LifecycleRepository(uow.conn)
    period_id = repo.add_operator_paid(plan_id, first, last, reason, note, now)
    payload = {
        "plan": plan_id,
        "first_date": first.isoformat(),
        "last_date": last.isoformat() if last else None,
        "reason": reason,
        "note": note,
    }
    public_record.append(uow, OPERATOR_PAID_PERIOD, f"plan:{plan_id}", payload, now)
    return next(p for p in repo.periods(plan_id) if p.id == period_id)


def paying(uow: UnitOfWork, plan_id: str, announce_date: date) -> OperatorPaid | None:
    """The operator-paid period that pays the round announced on this date, if any."""
    return LifecycleRepository(uow.conn).operator_paid(plan_id, announce_date)


def record_round(uow: UnitOfWork, record: RoundRecord, period: OperatorPaid, now: datetime) -> None:
    payload = {
        "round_id": record.id,
        "plan": record.plan_id,
        "announce_date": record.announce_date.isoformat(),
        "reason": period.reason,
        "operator_paid": record.figures.backstop,
    }
    public_record.append(uow, ROUND_OPERATOR_PAID, f"round:{record.id}", payload, now)


def paid_rounds(uow: UnitOfWork, membership: Membership) -> list[PaidRound]:
    rows = LifecycleRepository(uow.conn).operator_paid_rounds(
        membership.plan_id, membership.joined_at, membership.left_at
    )
    return [PaidRound(*row) for row in rows]
