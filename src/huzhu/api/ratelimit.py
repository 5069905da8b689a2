"""Per-client rate limits: a moving window per key, in process memory.

Rules are written as `limits` rule strings ("30/minute"). The counting is our own because `limits`'
MemoryStorage sweeps every key on a timer a hundred times a second: with one key per joining
account that sweep alone used up a core at a few thousand joins a second. Here a key's old hits are
dropped when the key is used, and forgotten keys are swept once per window.

Limits hold per server process; a deployment with several processes behind a load balancer divides
the configured limits by the number of processes, or puts the limit in the proxy in front.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from functools import lru_cache

from limits import RateLimitItem, parse

from huzhu.domain.errors import TooManyRequests


@lru_cache(maxsize=64)
def _rule(text: str) -> RateLimitItem:
    return parse(text)


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._hits: dict[tuple[str, ...], deque[float]] = {}
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def hit(self, rule: str, *keys: str) -> None:
        item = _rule(rule)
        window = float(item.get_expiry())
        now = self._clock()
        key = (rule, *keys)
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            hits = self._hits.get(key)
            if hits is None:
                hits = self._hits[key] = deque()
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= item.amount:
                raise TooManyRequests(
                    f"too many requests ({rule}); try again shortly", code="rate-limited"
                )
            hits.append(now)

    def _sweep(self, now: float) -> None:
        """Forget keys with no hit inside the longest window in use (a day at most)."""
        longest = max((float(_rule(k[0]).get_expiry()) for k in self._hits), default=60.0)
        self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - longest}
        self._next_sweep = now + min(longest, 86400.0)
