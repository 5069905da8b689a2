"""People and their memberships.

A membership's stored lifecycle is active, suspended or left. Whether an active member is still
waiting or already covered is derived from the join date and the plan's waiting period, because the
waiting period differs by kind of claim (illness or accident) and a stored flag would go stale for
100 million rows at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from huzhu.domain.errors import Conflict
from huzhu.domain.identity import Sex
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plan_rules import Category, Cause
from huzhu.domain.plans import Plan


class Lifecycle(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    LEFT = "left"


class Status(StrEnum):
    """What a member sees: waiting -> covered -> (suspended) -> left."""

    WAITING = "waiting"
    COVERED = "covered"
    SUSPENDED = "suspended"
    LEFT = "left"


class LeaveReason(StrEnum):
    VOLUNTARY = "voluntary"
    NON_PAYMENT = "non-payment"
    AGE_OUT = "age-out"
    PAID_OUT = "paid-out"
    PLAN_CLOSED = "plan-closed"


@dataclass(frozen=True)
class Person:
    id: int | None
    id_type: str
    id_number: str
    name: str
    birth_date: date
    sex: Sex
    province_code: str | None = None
    city_tier: int | None = None
    rural: bool | None = None
    phone: str | None = None
    email: str | None = None
    credit_score: int | None = None
    labels: tuple[str, ...] = ()
    guardian_id: int | None = None


@dataclass
class Membership:
    id: int | None
    plan_id: str
    person_id: int
    plan_version: int
    joined_at: datetime
    lifecycle: Lifecycle = Lifecycle.ACTIVE
    exit_on: date | None = None
    left_at: datetime | None = None
    leave_reason: LeaveReason | None = None
    suspended_at: datetime | None = None
    events: list[MembershipEvent] = field(default_factory=list)

    def cover_starts(
        self,
        plan: Plan,
        category: Category,
        activated_at: datetime | None = None,
        cause: Cause = Cause.ILLNESS,
    ) -> date:
        """The first day of cover: the waiting period runs from the later of joining and the
        plan's activation (a plan that needed members before it started)."""
        start = self.joined_at if activated_at is None else max(self.joined_at, activated_at)
        # Days are counted on the plan's calendar (Beijing time), not on UTC's.
        joined = local_date(start)
        return joined + timedelta(days=plan.waiting.days_for(category, cause))

    def status(self, plan: Plan, today: date) -> Status:
        if self.lifecycle is Lifecycle.LEFT:
            return Status.LEFT
        if self.lifecycle is Lifecycle.SUSPENDED:
            return Status.SUSPENDED
        if today < self.cover_starts(plan, Category.CRITICAL_ILLNESS):
            return Status.WAITING
        return Status.COVERED

    def leave(self, reason: LeaveReason, at: datetime) -> MembershipEvent:
        if self.lifecycle is Lifecycle.LEFT:
            raise Conflict("this membership has already ended", code="membership-already-left")
        event = MembershipEvent(self.lifecycle, Lifecycle.LEFT, reason.value, at)
        self.lifecycle = Lifecycle.LEFT
        self.left_at = at
        self.leave_reason = reason
        self.events.append(event)
        return event


@dataclass(frozen=True)
class MembershipEvent:
    from_state: Lifecycle | None
    to_state: Lifecycle
    reason: str
    at: datetime


def exit_date(plan: Plan, birth_date: date) -> date | None:
    """The day a member reaches the plan's exit age and leaves automatically."""
    years = plan.eligibility.exit_age_years
    if years is None:
        return None
    try:
        return birth_date.replace(year=birth_date.year + years)
    except ValueError:  # born on 29 February: the birthday falls on 1 March
        return date(birth_date.year + years, 3, 1)


def suspended_on(events: list[MembershipEvent], day: date) -> bool:
    """Whether the member's cover was suspended at any moment of `day` (Beijing time): a
    diagnosis made while cover was suspended is not covered, whatever happened after."""
    ordered = sorted(events, key=lambda e: e.at)
    before = [e for e in ordered if local_date(e.at) < day]
    if before and before[-1].to_state is Lifecycle.SUSPENDED:
        return True
    return any(local_date(e.at) == day and e.to_state is Lifecycle.SUSPENDED for e in ordered)
