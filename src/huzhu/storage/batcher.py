"""Group concurrent submissions into one call, as a database groups commits.

At thousands of joins a second most of a join's cost is per statement and per commit, not per row.
A `Batcher` lets each request await its result while a flush takes everything queued so far and
hands it to `run` in one call. Under light load a batch holds one item and adds no delay: a flush
starts as soon as an item arrives. Under heavy load items pile up while a batch is in the database,
and the next batch takes them all.

Everything runs on the caller's event loop (no threads, no hand-offs between them), so the state
(the queue, the open connections) is kept per loop: uvicorn runs one loop per worker for its whole
life. `close()` on that loop, at shutdown, closes its connections.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger("huzhu.batcher")


@dataclass
class _LoopState(Generic[S, T, R]):
    pending: list[tuple[T, asyncio.Future[R]]] = field(default_factory=list)
    idle: list[S] = field(default_factory=list)  # open connections not in use
    flushing: int = 0


class Batcher(Generic[S, T, R]):
    def __init__(
        self,
        run: Callable[[S, Sequence[T]], Awaitable[Sequence[R]]],
        connect: Callable[[], Awaitable[S]],
        disconnect: Callable[[S], Awaitable[None]],
        *,
        max_batch: int = 64,
        flushes: int = 2,
        name: str = "batcher",
    ) -> None:
        self._run = run
        self._connect = connect
        self._disconnect = disconnect
        self.max_batch = max_batch
        self.flushes = flushes  # batches in the database at once, each on its own connection
        self.name = name
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState[S, T, R]] = (
            weakref.WeakKeyDictionary()
        )

    def _state(self) -> _LoopState[S, T, R]:
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        if state is None:
            state = self._loops[loop] = _LoopState()
        return state

    async def submit(self, item: T) -> R:
        state = self._state()
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        state.pending.append((item, future))
        if state.flushing < self.flushes:
            state.flushing += 1
            asyncio.get_running_loop().create_task(self._flush(state))
        return await future

    async def _flush(self, state: _LoopState[S, T, R]) -> None:
        try:
            held = state.idle.pop() if state.idle else await self._connect()
        except Exception as exc:  # no connection: fail what waits now, not forever
            log.exception("%s: cannot connect", self.name)
            state.flushing -= 1
            self._fail(self._take(state, len(state.pending)), exc)
            return
        healthy = True
        try:
            while state.pending:
                batch = self._take(state, self.max_batch)
                try:
                    results = await self._run(held, [item for item, _ in batch])
                    if len(results) != len(batch):
                        raise RuntimeError(
                            f"{self.name}: {len(results)} results for {len(batch)} items"
                        )
                except Exception as exc:  # every waiting caller learns of it
                    log.exception("%s: a batch of %d failed", self.name, len(batch))
                    self._fail(batch, exc)
                    healthy = False  # the connection may be broken: do not keep it
                    break
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            state.flushing -= 1
            if healthy:
                state.idle.append(held)
            else:
                await self._quietly_disconnect(held)
            if state.pending and state.flushing < self.flushes:  # arrived as this one stopped
                state.flushing += 1
                asyncio.get_running_loop().create_task(self._flush(state))

    @staticmethod
    def _take(state: _LoopState[S, T, R], most: int) -> list[tuple[T, asyncio.Future[R]]]:
        taken, state.pending[:most] = state.pending[:most], []
        return taken

    @staticmethod
    def _fail(batch: list[tuple[T, asyncio.Future[R]]], exc: BaseException) -> None:
        for _, future in batch:
            if not future.done():
                future.set_exception(exc)

    async def _quietly_disconnect(self, held: S) -> None:
        try:
            await self._disconnect(held)
        except Exception:
            log.warning("%s: closing a connection failed", self.name, exc_info=True)

    async def close(self) -> None:
        """Close the connections this loop keeps open (at the app's shutdown)."""
        state = self._loops.pop(asyncio.get_running_loop(), None)
        if state is not None:
            for held in state.idle:
                await self._quietly_disconnect(held)
