"""Dormant prepaid accounts (Qingsong's rule; docs/books.md, "Dormant accounts").

An account (a payer's own membership and their dependants' in one plan) is dormant when it holds
money and none of its memberships is active: every one has left or is suspended. Once per period
(calendar periods of the plan's `dormancy_period_months`, Beijing time) a dormant account pays the
plan's `dormancy_fee`, or what it holds when that is less: never below zero. A fee is refunded
when a dormancy run finds the account active again within REFUND_WITHIN of the fee.
"""

from __future__ import annotations

from datetime import date, timedelta

from huzhu.domain.money import Fen

REFUND_WITHIN = timedelta(days=366)  # a year, leap day included


def period_start(day: date, months: int) -> date:
    """The first day of the calendar period holding `day` (months divides 12)."""
    return date(day.year, (day.month - 1) // months * months + 1, 1)


def period_label(day: date, months: int) -> str:
    """A period's name in transaction keys: 2026-Q1 for quarters, else 2026-M01 by first month."""
    start = period_start(day, months)
    if months == 3:
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}-M{start.month:02d}"


def fee_due(fee: Fen, held: Fen) -> Fen:
    """What a dormant account pays: the fee, or all it holds when that is less (never below 0)."""
    return max(0, min(fee, held))
