"""Group concurrent submissions into one call, as a database groups commits.

At thousands of joins a second most of a join's cost is per statement and per commit, not per row.
A `Batcher` lets each request wait on a future while a worker thread takes everything queued so far
and hands it to `run` in one call. Under light load a batch holds one item and adds no delay: a
worker picks an item up as soon as it arrives. Under heavy load items pile up while a batch is in
the database, and the next batch takes them all.

Workers are threads, so callers on any event loop (uvicorn's, a test client's) or on plain threads
can submit. Each worker holds a resource (a database connection) from `resource()` for as long as it
runs. It exits after `idle_s` without work, or after a batch fails, so an idle app holds no thread
and no connection, and a broken connection is replaced by the next worker.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager, ExitStack
from typing import Generic, TypeVar

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger("huzhu.batcher")


class Batcher(Generic[S, T, R]):
    def __init__(
        self,
        run: Callable[[S, Sequence[T]], Sequence[R]],
        resource: Callable[[], AbstractContextManager[S]],
        *,
        max_batch: int = 64,
        workers: int = 2,
        idle_s: float = 2.0,
        name: str = "batcher",
    ) -> None:
        self._run = run
        self._resource = resource
        self.max_batch = max_batch
        self.max_workers = workers
        self.idle_s = idle_s
        self.name = name
        self._queue: queue.SimpleQueue[tuple[T, Future[R]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._workers = 0
        self._busy = 0

    def submit(self, item: T) -> Future[R]:
        future: Future[R] = Future()
        self._queue.put((item, future))
        with self._lock:
            # Another worker only helps when every running one is inside a batch.
            if self._workers < self.max_workers and self._busy == self._workers:
                self._workers += 1
                threading.Thread(target=self._work, name=self.name, daemon=True).start()
        return future

    def _work(self) -> None:
        try:
            with ExitStack() as stack:
                try:
                    held = stack.enter_context(self._resource())
                except Exception as exc:  # no connection: fail what waits now, not forever
                    log.exception("%s: no resource", self.name)
                    self._fail(self._drain_queued(), exc)
                    return
                while True:
                    try:
                        first = self._queue.get(timeout=self.idle_s)
                    except queue.Empty:
                        return
                    with self._lock:
                        self._busy += 1
                    try:
                        if not self._run_batch(held, self._drain(first)):
                            return  # the resource may be broken: let a new worker take a new one
                    finally:
                        with self._lock:
                            self._busy -= 1
        except Exception:
            log.exception("%s: a worker failed", self.name)
        finally:
            with self._lock:
                self._workers -= 1
                restart = not self._queue.empty() and self._workers < self.max_workers
                if restart:  # an item came in as this worker left: hand it on
                    self._workers += 1
            if restart:
                threading.Thread(target=self._work, name=self.name, daemon=True).start()

    def _drain(self, first: tuple[T, Future[R]]) -> list[tuple[T, Future[R]]]:
        return [first, *self._drain_queued(self.max_batch - 1)]

    def _drain_queued(self, most: int | None = None) -> list[tuple[T, Future[R]]]:
        taken: list[tuple[T, Future[R]]] = []
        while most is None or len(taken) < most:
            try:
                taken.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return taken

    def _fail(self, batch: list[tuple[T, Future[R]]], exc: BaseException) -> None:
        for _, future in batch:
            future.set_exception(exc)

    def _run_batch(self, held: S, batch: list[tuple[T, Future[R]]]) -> bool:
        """Run one batch and settle its futures; False when it failed."""
        try:
            results = self._run(held, [item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"{self.name}: {len(results)} results for {len(batch)} items")
        except BaseException as exc:  # every waiting caller learns of it
            log.exception("%s: a batch of %d failed", self.name, len(batch))
            self._fail(batch, exc)
            return False
        for (_, future), result in zip(batch, results, strict=True):
            future.set_result(result)
        return True
