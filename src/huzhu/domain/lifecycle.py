"""A plan's end, as the platforms that closed ran it (README, "Shutdown" and "Promotions").

1. From the notice date nobody joins (`plan-closing`) and members share nothing more: every
   round announced on or after it is paid by the operator (an operator-paid period with no end).
2. Cover ends on the end date: an illness diagnosed on or after it is not covered
   (`cover-ended`). One diagnosed before it may be claimed until `CLAIM_WINDOW` days after it;
   later claims are refused outright (`claim-window-closed`).
3. What prepaid members hold is refunded through the gateway, due within `REFUND_WITHIN` days of
   the notice (Waterdrop's practice); a plan may also refund every share ever paid (Meituan),
   paid by the operator.
4. A plan closes once (`plan-closed`); the end date is never before the notice date
   (`end-before-notice`), nor the notice date on or before a round already run
   (`notice-before-last-round`). No top-ups from the notice date (`plan-closing`).

A promotion is the same mechanism without the end: the operator pays the rounds announced in a
period (Xiang Hu Bao's free first month), and members are charged 0 for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from huzhu.domain.errors import Conflict, InvalidInput, RuleViolation, Violation

CLAIM_WINDOW = timedelta(days=180)
REFUND_WITHIN = timedelta(days=5)

PROMOTION = "promotion"
SHUTDOWN = "shutdown"


@dataclass(frozen=True)
class ClosingDates:
    notice_date: date
    end_date: date

    @property
    def last_claim_day(self) -> date:
        return self.end_date + CLAIM_WINDOW

    @property
    def refund_due(self) -> date:
        return self.notice_date + REFUND_WITHIN


def check_dates(notice_date: date, end_date: date) -> ClosingDates:
    if end_date < notice_date:
        raise InvalidInput(
            f"the end date {end_date} is before the notice date {notice_date}",
            code="end-before-notice",
            field="end_date",
        )
    return ClosingDates(notice_date, end_date)


def check_not_closed(plan_id: str, existing: ClosingDates | None) -> None:
    if existing is not None:
        raise Conflict(
            f"{plan_id} was already closed (notice {existing.notice_date}, end "
            f"{existing.end_date})",
            code="plan-closed",
            field="plan",
        )


def check_join(plan_id: str, closing: ClosingDates | None, today: date) -> None:
    if closing is not None and today >= closing.notice_date:
        raise RuleViolation(
            [
                Violation(
                    "plan-closing",
                    f"{plan_id} takes no new members: it closes (notice given on "
                    f"{closing.notice_date}, cover ends on {closing.end_date})",
                    "plan",
                )
            ]
        )


def check_top_up(plan_id: str, closing: ClosingDates | None, today: date) -> None:
    """From the notice date balances are refunded, not topped up: money added then would sit
    in a plan that charges no one."""
    if closing is not None and today >= closing.notice_date:
        raise RuleViolation(
            [
                Violation(
                    "plan-closing",
                    f"{plan_id} is closing (notice given on {closing.notice_date}): balances are "
                    "refunded, not topped up",
                    "membership",
                )
            ]
        )


def check_notice_after_rounds(plan_id: str, notice_date: date, last_round: date | None) -> None:
    """Members share nothing from the notice: a round already run on or after it charged them."""
    if last_round is not None and last_round >= notice_date:
        raise InvalidInput(
            f"{plan_id} already ran the round of {last_round}: the notice date must be after it",
            code="notice-before-last-round",
            field="notice_date",
        )


def check_claim_window(plan_id: str, closing: ClosingDates | None, today: date) -> None:
    if closing is not None and today > closing.last_claim_day:
        raise RuleViolation(
            [
                Violation(
                    "claim-window-closed",
                    f"{plan_id} closed on {closing.end_date}; claims were taken until "
                    f"{closing.last_claim_day}",
                    "plan",
                )
            ]
        )


def cover_ended(closing: ClosingDates | None, diagnosed: date) -> bool:
    return closing is not None and diagnosed >= closing.end_date


def check_period(first: date, last: date | None) -> None:
    if last is not None and last < first:
        raise InvalidInput(
            f"the period ends ({last}) before it starts ({first})",
            code="period-reversed",
            field="last_date",
        )
