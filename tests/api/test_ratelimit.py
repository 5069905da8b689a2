"""The in-process rate limiter: a moving window per key, and forgotten keys swept."""

from __future__ import annotations

import pytest

from huzhu.api.ratelimit import RateLimiter
from huzhu.domain.errors import TooManyRequests


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_moving_window_per_key() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    for _ in range(3):
        limiter.hit("3/minute", "join", "1")
    with pytest.raises(TooManyRequests):
        limiter.hit("3/minute", "join", "1")
    limiter.hit("3/minute", "join", "2")  # another key has its own window
    clock.now += 59.9
    with pytest.raises(TooManyRequests):  # the first hits are still inside the minute
        limiter.hit("3/minute", "join", "1")
    clock.now += 0.2
    limiter.hit("3/minute", "join", "1")  # the oldest hit has left the window


def test_refused_hits_do_not_count() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    limiter.hit("1/second", "k")
    for _ in range(5):
        with pytest.raises(TooManyRequests):
            limiter.hit("1/second", "k")
    clock.now += 1.01
    limiter.hit("1/second", "k")


def test_keys_without_recent_hits_are_forgotten() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    for n in range(1000):
        limiter.hit("5/minute", "join", str(n))
    assert len(limiter._hits) == 1000
    clock.now += 61
    limiter.hit("5/minute", "join", "new")
    assert list(limiter._hits) == [("5/minute", "join", "new")]
