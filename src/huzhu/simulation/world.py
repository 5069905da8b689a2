"""What every part of the demo shares: the database, the gateway, the clock and the tallies."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import Engine

from huzhu.domain.plan_fields import CHINA_TZ
from huzhu.gateways import GatewayFactory
from huzhu.simulation.schedule import Schedule
from huzhu.storage.uow import UnitOfWork

REVIEWER = "demo-reviewer"  # `by` of the demo reviewer's decisions
OPERATOR = "demo-operator"


def beijing(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment on a plan's calendar (Beijing time)."""
    return datetime.combine(day, time(hour, minute), CHINA_TZ)


@dataclass
class World:
    engine: Engine
    gateway_for: GatewayFactory
    schedule: Schedule
    rng: random.Random
    start: date
    today: date  # the demo's last day: the day of `now`
    seed: int
    reviewer_account: int = 0
    drill_from: date = date.min  # the reconciliation drill happens on a payout day from here
    counts: Counter[str] = field(default_factory=Counter)  # what happened, for the summary
    gateway_days: set[date] = field(default_factory=set)  # days with instructions to reconcile
    # Memberships the staged cases rely on: never drawn for random claims or voluntary leaving.
    protected: set[int] = field(default_factory=set)

    @property
    def now(self) -> datetime:
        return self.schedule.now

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)
