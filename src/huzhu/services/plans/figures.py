"""Live figures for the public pages, kept for a short while.

Counting a plan's live members reads every membership row of the plan: a second of work at 100
million members, and the home page shows every plan. Public pages show the count as it was at
most `ttl_s` seconds ago; rounds lock their own headcount and never read this.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from huzhu.storage.uow import UnitOfWork


class Headcounts:
    """Live members per plan, and the other figures every visitor sees alike (the home page's
    plan cards), computed at most once per `ttl_s` per process."""

    def __init__(self, ttl_s: float = 30.0) -> None:
        self.ttl_s = ttl_s
        self._kept: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def remember(self, key: str, compute: Callable[[], Any]) -> Any:
        hit = self._kept.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
            return hit[1]
        value = compute()
        with self._lock:
            if len(self._kept) > 1000:  # keys come from the database, but stay bounded
                self._kept.clear()
            self._kept[key] = (time.monotonic(), value)
        return value

    def of(self, uow: UnitOfWork, plan_id: str) -> int:
        count: int = self.remember(
            f"members:{plan_id}", lambda: uow.memberships.count_live(plan_id)
        )
        return count
