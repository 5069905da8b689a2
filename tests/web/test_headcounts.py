"""The kept figures of the public pages: fresh for `ttl_s`, then served while one background
thread counts again, counted on the request only past `max_age_s` or when never counted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from webkit import Web, World, text_of

from helpers import at, install, join_one
from huzhu.services.plans.figures import Headcounts
from huzhu.storage.uow import UnitOfWork

PLAN = "xiang-hu-bao"


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_fresh_then_refreshed_in_the_background_then_counted_again(engine: Engine) -> None:
    ticks = Ticks()
    kept = Headcounts(engine, ttl_s=30, max_age_s=120, clock=ticks)
    calls: list[int] = []

    def compute(uow: UnitOfWork) -> int:
        calls.append(1)
        return len(calls)

    first, later = at("2026-03-02"), at("2026-03-03")
    with UnitOfWork(engine) as uow:
        assert kept.remember("k", compute, uow, first) == 1  # never counted: on the request
        ticks.now += 29
        assert kept.remember("k", compute, uow, later) == 1  # fresh: kept
        assert kept.counted_at("k") == first
        ticks.now += 2  # past the TTL: the old figure now, a new count behind it
        assert kept.remember("k", compute, uow, later) == 1
        kept.wait()
        assert len(calls) == 2
        assert kept.remember("k", compute, uow, later) == 2
        assert kept.counted_at("k") == later
        ticks.now += 121  # older than max_age: nobody is shown a figure that old
        assert kept.remember("k", compute, uow, later) == 3
        assert len(calls) == 3


def test_one_background_count_at_a_time(engine: Engine) -> None:
    ticks = Ticks()
    kept = Headcounts(engine, ttl_s=30, max_age_s=120, clock=ticks)
    calls: list[datetime] = []

    def compute(uow: UnitOfWork) -> int:
        calls.append(at("2026-03-02"))
        return len(calls)

    with UnitOfWork(engine) as uow:
        kept.remember("k", compute, uow, at("2026-03-02"))
        ticks.now += 31
        for _ in range(20):
            assert kept.remember("k", compute, uow, at("2026-03-02")) in (1, 2)
    kept.wait()
    assert len(calls) == 2  # one count on the request, one in the background: never one per request


def test_forget_drops_the_figures_so_the_next_request_counts(engine: Engine) -> None:
    kept = Headcounts(engine)
    install(engine, at("2026-03-01"))
    with UnitOfWork(engine) as uow:
        assert kept.of(uow, PLAN, at("2026-03-02")) == 0
    join_one(engine, PLAN, at("2026-03-02"))
    with UnitOfWork(engine) as uow:
        assert kept.of(uow, PLAN, at("2026-03-02")) == 0  # kept: at most TTL old
        kept.forget("members:")
        assert kept.counted_at(f"members:{PLAN}") is None
        assert kept.of(uow, PLAN, at("2026-03-02")) == 1


def test_the_plan_page_says_when_its_members_were_counted(web: Web, world: World) -> None:
    text = text_of(web.browser("en").get(f"/plans/{PLAN}"))
    assert "Members counted at" in text and "at most this many minutes old: 2" in text
