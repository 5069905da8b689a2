"""Live figures for the public pages and the console, kept and refreshed in the background.

Counting a plan's live members reads every membership row of the plan: a quarter of a second at a
million members, seconds at 100 million, and the home page shows every plan. So a figure is
counted once and kept; once it is `ttl_s` old, the next request still gets it while a background
thread counts it again, and no request waits for a count. Only a figure older than `max_age_s` (a
process that nobody asked for a while) or one never counted is counted on the request.

So a figure shown is at most `max_age_s` old, and the pages say when it was counted. Rounds lock
their own headcount and never read these.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine

from huzhu.storage.uow import UnitOfWork

log = logging.getLogger(__name__)
T = TypeVar("T")
TTL_S = 30.0
MAX_AGE_S = 120.0


class Kept:
    __slots__ = ("counted_at", "taken", "value")

    def __init__(self, value: Any, taken: float, counted_at: datetime) -> None:
        self.value, self.taken, self.counted_at = value, taken, counted_at


class Headcounts:
    """Live members per plan, and the other figures every visitor sees alike (the home page's
    plan cards, the console's dashboard), shared by the requests of one process."""

    def __init__(
        self,
        engine: Engine | None = None,
        ttl_s: float = TTL_S,
        max_age_s: float = MAX_AGE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine, self.ttl_s, self.max_age_s, self.clock = engine, ttl_s, max_age_s, clock
        self._kept: dict[str, Kept] = {}
        self._counting: set[str] = set()
        self._lock = threading.Lock()

    def remember(
        self, key: str, compute: Callable[[UnitOfWork], T], uow: UnitOfWork, now: datetime
    ) -> T:
        """The kept figure for `key`, counted with `compute` when missing or too old. `compute`
        is given a unit of work: the request's, or the refresh's own in the background."""
        hit = self._kept.get(key)
        age = None if hit is None else self.clock() - hit.taken
        if hit is not None and age is not None and age < self.max_age_s:
            if age >= self.ttl_s and self.engine is not None:
                self._refresh(key, compute, now)
            value: T = hit.value
            return value
        return self._store(key, compute(uow), now)

    def counted_at(self, key: str) -> datetime | None:
        """When the kept figure was counted (the clock of the request that asked for it)."""
        hit = self._kept.get(key)
        return hit.counted_at if hit is not None else None

    def forget(self, prefix: str = "") -> None:
        """Drop the figures whose key starts with `prefix`: the next request counts them again.
        For changes this process makes and must show at once (a round that has just run)."""
        with self._lock:
            for key in [k for k in self._kept if k.startswith(prefix)]:
                del self._kept[key]

    def of(self, uow: UnitOfWork, plan_id: str, now: datetime) -> int:
        key = f"members:{plan_id}"
        count: int = self.remember(key, lambda u: u.memberships.count_live(plan_id), uow, now)
        return count

    def _store(self, key: str, value: T, now: datetime) -> T:
        with self._lock:
            if len(self._kept) > 1000:  # keys come from the database, but stay bounded
                self._kept.clear()
            self._kept[key] = Kept(value, self.clock(), now)
        return value

    def _refresh(self, key: str, compute: Callable[[UnitOfWork], Any], now: datetime) -> None:
        with self._lock:
            if key in self._counting:
                return
            self._counting.add(key)
        threading.Thread(
            target=self._count, args=(key, compute, now), daemon=True, name=f"count {key}"
        ).start()

    def _count(self, key: str, compute: Callable[[UnitOfWork], Any], now: datetime) -> None:
        assert self.engine is not None
        try:
            with UnitOfWork(self.engine, read_only=True) as uow:
                self._store(key, compute(uow), now)
        except Exception:  # the figure stays as it was; the next request past the TTL tries again
            log.exception("refreshing %s failed", key)
        finally:
            with self._lock:
                self._counting.discard(key)

    def wait(self) -> None:
        """Until no refresh runs (tests, and a server that stops)."""
        while True:
            with self._lock:
                if not self._counting:
                    return
            time.sleep(0.01)
