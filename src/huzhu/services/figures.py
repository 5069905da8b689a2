"""Live figures for the public pages, kept for a short while.

Counting a plan's live members reads every membership row of the plan: a second of work at 100
million members, and the home page shows every plan. Public pages show the count as it was at
most `ttl_s` seconds ago; rounds lock their own headcount and never read this.
"""

from __future__ import annotations

import threading
import time

from huzhu.storage.uow import UnitOfWork


class Headcounts:
    """Live members per plan, counted at most once per `ttl_s` per process."""

    def __init__(self, ttl_s: float = 30.0) -> None:
        self.ttl_s = ttl_s
        self._counts: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def of(self, uow: UnitOfWork, plan_id: str) -> int:
        hit = self._counts.get(plan_id)
        if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
            return hit[1]
        count = uow.memberships.count_live(plan_id)
        with self._lock:
            if len(self._counts) > 1000:  # plan ids come from the database, but stay bounded
                self._counts.clear()
            self._counts[plan_id] = (time.monotonic(), count)
        return count
