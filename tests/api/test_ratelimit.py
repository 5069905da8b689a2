"""The in-process rate limiter: a sliding window counter per key, and forgotten keys swept."""

from __future__ import annotations

import gc

import pytest

from huzhu.api.ratelimit import RateLimiter
from huzhu.domain.errors import TooManyRequests

START = 1020.0  # the start of a one-minute window


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def allowed(limiter: RateLimiter, rule: str, key: str, tries: int) -> int:
    n = 0
    for _ in range(tries):
        try:
            limiter.hit(rule, "join", key)
        except TooManyRequests:
            continue
        n += 1
    return n


def test_at_most_the_limit_in_a_window_and_keys_apart() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    assert allowed(limiter, "3/minute", "1", 10) == 3
    assert allowed(limiter, "3/minute", "2", 10) == 3  # another key has its own count
    clock.now += 30
    assert allowed(limiter, "3/minute", "1", 10) == 0  # the same window


def test_the_window_slides() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    assert allowed(limiter, "6/minute", "k", 6) == 6
    clock.now = START + 60 + 30  # halfway into the next window: half the old hits still count
    assert allowed(limiter, "6/minute", "k", 10) == 3
    clock.now = START + 180  # two windows later: nothing counts any more
    assert allowed(limiter, "6/minute", "k", 10) == 6


def test_refused_hits_do_not_count() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    assert allowed(limiter, "2/second", "k", 50) == 2
    clock.now += 2
    assert allowed(limiter, "2/second", "k", 2) == 2


def test_idle_keys_are_forgotten_and_cost_the_collector_nothing() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    for n in range(1000):
        limiter.hit("5/minute", "join", str(n))
    gc.collect()
    assert not any(gc.is_tracked(state) for state in limiter._hits.values())
    clock.now += 121
    limiter.hit("5/minute", "join", "new")
    assert list(limiter._hits) == [("5/minute", "join", "new")]


def test_a_bad_rule_is_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter().hit("often", "k")
