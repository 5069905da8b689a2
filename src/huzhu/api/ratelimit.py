"""Per-client rate limits: a sliding window counter per key, in process memory.

Rules are written as `limits` rule strings ("30/minute"). The counting is our own because `limits`'
MemoryStorage sweeps every key on a timer a hundred times a second: with one key per joining
client that sweep alone used up a core at a few thousand joins a second.

Each key keeps three numbers: the current fixed window, its count and the previous window's count.
A hit is allowed while `previous * (share of the previous window still in the sliding window) +
current` stays below the limit, the sliding-window-counter approximation. Three numbers in a tuple
are invisible to Python's cyclic garbage collector, so a hundred thousand live keys add no pauses
(a deque per key did: full collections of ~100 ms every few seconds). Keys idle for two windows are
swept, once per window.

Limits hold per server process; a deployment with several processes behind a load balancer divides
the configured limits by the number of processes, or puts the limit in the proxy in front.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from functools import lru_cache

from limits import parse

from huzhu.domain.errors import TooManyRequests


@lru_cache(maxsize=64)
def _rule(text: str) -> tuple[int, float]:
    """(how many hits, per how many seconds)."""
    item = parse(text)
    return int(item.amount), float(item.get_expiry())


def _retry_after(amount: int, window: float, elapsed: float, current: int, previous: int) -> int:
    """Whole seconds until the sliding count falls below the limit (at least 1)."""
    if current >= amount:  # only the next window helps
        return max(1, math.ceil((1.0 - elapsed) * window))
    # previous * (1 - t) + current < amount  <=>  t > 1 - (amount - current) / previous
    needed = 1.0 - (amount - current) / previous if previous else elapsed
    return max(1, math.ceil((needed - elapsed) * window) + 1)


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        # (rule, *keys) -> (window number, hits in it, hits in the window before)
        self._hits: dict[tuple[str, ...], tuple[int, int, int]] = {}
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def hit(self, rule: str, *keys: str) -> None:
        """Count one hit, or refuse it (429) when the window is full; refused hits don't count."""
        self._count(rule, keys, check=True, add=True)

    def check(self, rule: str, *keys: str) -> None:
        """Refuse (429) when the window is full, without counting."""
        self._count(rule, keys, check=True, add=False)

    def add(self, rule: str, *keys: str) -> None:
        """Count one hit, even past the limit (a failure noticed after the work)."""
        self._count(rule, keys, check=False, add=True)

    def _count(self, rule: str, keys: tuple[str, ...], *, check: bool, add: bool) -> None:
        amount, window = _rule(rule)
        now = self._clock()
        number = int(now // window)
        elapsed = now / window - number  # how far into the current window, 0..1
        key = (rule, *keys)
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            seen, current, previous = self._hits.get(key, (number, 0, 0))
            if seen != number:  # a new window: the old current becomes the previous
                current, previous = 0, (current if seen == number - 1 else 0)
            if check and previous * (1.0 - elapsed) + current >= amount:
                refused = TooManyRequests(
                    f"too many requests ({rule}); try again shortly", code="rate-limited"
                )
                refused.limit, refused.window_s = amount, int(window)
                refused.retry_after_s = _retry_after(amount, window, elapsed, current, previous)
                raise refused
            if add:
                self._hits[key] = (number, current + 1, previous)

    def _sweep(self, now: float) -> None:
        """Forget keys whose last hit is two windows old: they count for nothing any more."""
        kept: dict[tuple[str, ...], tuple[int, int, int]] = {}
        longest = 60.0
        for key, state in self._hits.items():
            window = _rule(key[0])[1]
            longest = max(longest, window)
            if state[0] >= int(now // window) - 1:
                kept[key] = state
        self._hits = kept
        self._next_sweep = now + min(longest, 86400.0)
