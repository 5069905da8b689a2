"""What publishing a plan file would change, shown before it is published.

The file goes through the same `services.plans.publish` (every check, in the same order); then the
next round the new version governs is quoted twice by `run_round` itself, once under the rules in
force today and once with the new version installed. Each quote and the trial publication run
inside a savepoint that is rolled back, so nothing of the preview stays.

"The next round" is the plan's first announcement date that has not run yet, on or after the new
version's `effective_from`. Its headcount lock may still be ahead: the quote then counts the
members and approved claims as they are now (as if the headcount locked now), which is what an
operator can know today.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from huzhu.domain.apportionment import RoundFigures
from huzhu.domain.errors import HuzhuError, RuleViolation
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plans import Plan
from huzhu.services.plans.service import publish
from huzhu.services.rounds.service import first_round_day, run_round
from huzhu.storage.uow import UnitOfWork

T = TypeVar("T")
LOOK_AHEAD = timedelta(days=400)  # every calendar has a round within a year


@dataclass(frozen=True)
class Quote:
    figures: RoundFigures | None
    refused: str | None = None  # the refusal's code when the round could not be quoted
    message: str = ""


@dataclass(frozen=True)
class PlanChange:
    plan: Plan
    previous: Plan | None  # the version in force today; None for a new plan
    round_date: date | None
    current: Quote | None
    proposed: Quote | None

    @property
    def share_change(self) -> int | None:
        if self.current is None or self.proposed is None:
            return None
        if self.current.figures is None or self.proposed.figures is None:
            return None
        return self.proposed.figures.share - self.current.figures.share


def _in_savepoint(uow: UnitOfWork, work: Callable[[], T]) -> T:
    nested = uow.conn.begin_nested()
    try:
        return work()
    finally:
        nested.rollback()


def _quote(uow: UnitOfWork, plan_id: str, day: date, now: datetime) -> Quote:
    try:
        return Quote(run_round(uow, plan_id, day, now).round.figures)
    except RuleViolation as e:
        first = e.violations[0]
        return Quote(None, first.code, first.message)
    except HuzhuError as e:
        return Quote(None, e.code, str(e))


def next_round(uow: UnitOfWork, plan: Plan, after: date) -> date | None:
    """The first announcement date of `plan`'s calendar on or after `after` with no round yet."""
    newest = uow.rounds.recent(plan.id, limit=1)
    start = max(after, first_round_day(uow, plan.id))
    if newest:
        start = max(start, newest[0].announce_date + timedelta(days=1))
    dates = plan.calendar.announce_dates(start, start + LOOK_AHEAD)
    return dates[0] if dates else None


def preview_publish(
    uow: UnitOfWork, document: str, now: datetime, *, accept_fee_rise: bool = False
) -> PlanChange:
    """Check the file as `publish` does and quote the next round under today's and the new rules.
    Raises the refusal `publish` would raise; nothing is kept either way."""
    plan = _in_savepoint(uow, lambda: publish(uow, document, now, accept_fee_rise=accept_fee_rise))
    if uow.plans.latest_version(plan.id) is None:
        return PlanChange(plan, None, None, None, None)
    previous = uow.plans.get(plan.id, local_date(now))
    day = next_round(uow, plan, plan.effective_from)
    if day is None:
        return PlanChange(plan, previous, None, None, None)
    at = max(now, plan.calendar.lock_moment(day))  # as if the headcount locked now
    current = _in_savepoint(uow, lambda: _quote(uow, plan.id, day, at))

    def proposed_quote() -> Quote:
        publish(uow, document, now, accept_fee_rise=accept_fee_rise)
        return _quote(uow, plan.id, day, at)

    return PlanChange(plan, previous, day, current, _in_savepoint(uow, proposed_quote))
