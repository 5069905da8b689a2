"""The batcher groups concurrent submissions into one call and hands every caller its result."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from contextlib import nullcontext

import pytest

from huzhu.storage.batcher import Batcher


def plain(run):  # type: ignore[no-untyped-def]
    """A batcher whose workers hold no resource."""
    return lambda _held, items: run(items)


def test_items_submitted_while_a_batch_runs_go_together() -> None:
    calls: list[list[int]] = []
    release = threading.Event()

    def run(items: Sequence[int]) -> list[int]:
        calls.append(list(items))
        if len(calls) == 1:
            release.wait(5)  # the first batch is slow: the rest queue up behind it
        return [n * 10 for n in items]

    batcher: Batcher[None, int, int] = Batcher(
        plain(run), nullcontext, max_batch=8, workers=1, idle_s=0.5
    )
    first = batcher.submit(0)
    time.sleep(0.1)
    rest = [batcher.submit(n) for n in range(1, 11)]
    release.set()
    assert first.result(5) == 0
    assert [f.result(5) for f in rest] == [n * 10 for n in range(1, 11)]
    assert calls == [[0], [1, 2, 3, 4, 5, 6, 7, 8], [9, 10]]


def test_a_failed_batch_fails_each_of_its_callers() -> None:
    def run(items: Sequence[int]) -> list[int]:
        raise ValueError("database gone")

    batcher: Batcher[None, int, int] = Batcher(plain(run), nullcontext, idle_s=0.2)
    futures = [batcher.submit(n) for n in range(3)]
    for f in futures:
        with pytest.raises(ValueError, match="database gone"):
            f.result(5)


def test_a_wrong_number_of_results_is_an_error_not_a_mixup() -> None:
    batcher: Batcher[None, int, int] = Batcher(
        plain(lambda items: [1]), nullcontext, idle_s=0.2, workers=1
    )
    release = threading.Event()
    blocker = batcher
    futures = [blocker.submit(n) for n in range(1)]
    assert futures[0].result(5) == 1
    # two items in one batch but one result: both callers get the error
    slow: Batcher[None, int, int] = Batcher(
        plain(lambda items: (release.wait(5), [1])[1]), nullcontext, workers=1, idle_s=0.2
    )
    a = slow.submit(1)
    time.sleep(0.1)
    b, c = slow.submit(2), slow.submit(3)
    release.set()
    assert a.result(5) == 1
    for f in (b, c):
        with pytest.raises(RuntimeError, match="2 items"):
            f.result(5)


def test_idle_workers_go_away_and_come_back() -> None:
    batcher: Batcher[None, int, int] = Batcher(
        plain(lambda items: list(items)), nullcontext, idle_s=0.1, name="idle-test"
    )
    assert batcher.submit(1).result(5) == 1
    deadline = time.monotonic() + 5
    while any(t.name == "idle-test" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the worker did not exit"
        time.sleep(0.05)
    assert batcher.submit(2).result(5) == 2


def test_a_worker_that_cannot_get_its_resource_fails_the_waiting_callers() -> None:
    def broken() -> nullcontext[None]:
        raise ConnectionError("database down")

    batcher: Batcher[None, int, int] = Batcher(plain(lambda items: list(items)), broken)
    with pytest.raises(ConnectionError):
        batcher.submit(1).result(5)


def test_after_a_failed_batch_a_new_worker_takes_a_fresh_resource() -> None:
    opened: list[int] = []

    class Resource:
        def __enter__(self) -> int:
            opened.append(len(opened))
            return opened[-1]

        def __exit__(self, *exc: object) -> None:
            pass

    def run(held: int, items: Sequence[int]) -> list[int]:
        if held == 0:
            raise OSError("connection lost")
        return [held] * len(items)

    batcher: Batcher[int, int, int] = Batcher(run, Resource, workers=1, idle_s=0.2)
    with pytest.raises(OSError):
        batcher.submit(1).result(5)
    assert batcher.submit(2).result(5) == 1
    assert opened == [0, 1]
