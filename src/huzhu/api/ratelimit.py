"""Per-client rate limits (moving window, in process memory via the `limits` library).

In-memory limits hold per server process; a deployment with several processes points `limits` at a
shared store (Redis) instead.
"""

from __future__ import annotations

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from huzhu.domain.errors import TooManyRequests


class RateLimiter:
    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, rule: str, *keys: str) -> None:
        if not self._limiter.hit(parse(rule), *keys):
            raise TooManyRequests(
                f"too many requests ({rule}); try again shortly", code="rate-limited"
            )
