"""The demo's clock: events in time order, each run at its own moment, never after `now`.

Every step of the demo (a member joining, a reviewer deciding, a round locking, a bank answering)
is an event at a moment. Events run in order of their moment; an event may schedule later ones.
Nothing runs after the demo's `now`, so whatever was still to happen is simply still pending, as it
would be on a live platform: a claim submitted this morning is still waiting for its reviewer.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from datetime import datetime

Event = Callable[[datetime], object]


class Schedule:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self._heap: list[tuple[datetime, int, Event]] = []
        self._order = itertools.count()

    def at(self, when: datetime, event: Event) -> None:
        """Run `event(when)` at `when`; an event after `now` never runs."""
        if when <= self.now:
            heapq.heappush(self._heap, (when, next(self._order), event))

    def run_until(self, end: datetime) -> int:
        """Run every event up to `end` (and up to `now`), in time order; how many ran."""
        end = min(end, self.now)
        ran = 0
        while self._heap and self._heap[0][0] <= end:
            when, _, event = heapq.heappop(self._heap)
            event(when)
            ran += 1
        return ran

    def pending(self) -> int:
        return len(self._heap)
