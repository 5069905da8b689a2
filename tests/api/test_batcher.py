"""The batcher groups concurrent submissions into one call and hands every caller its result."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from huzhu.storage.batcher import Batcher


class Connections:
    """Stand-in connections: numbered, with a record of which were opened and closed."""

    def __init__(self) -> None:
        self.opened: list[int] = []
        self.closed: list[int] = []

    async def connect(self) -> int:
        self.opened.append(len(self.opened))
        return self.opened[-1]

    async def disconnect(self, held: int) -> None:
        self.closed.append(held)


def test_items_submitted_while_a_batch_runs_go_together() -> None:
    calls: list[list[int]] = []
    conns = Connections()

    async def run(held: int, items: Sequence[int]) -> list[int]:
        calls.append(list(items))
        await asyncio.sleep(0.05)  # the database: the rest queue up behind this batch
        return [n * 10 for n in items]

    async def main() -> list[int]:
        batcher = Batcher(run, conns.connect, conns.disconnect, max_batch=8, flushes=1)
        first = asyncio.ensure_future(batcher.submit(0))
        await asyncio.sleep(0.01)
        rest = [asyncio.ensure_future(batcher.submit(n)) for n in range(1, 11)]
        out = await asyncio.gather(first, *rest)
        await batcher.close()
        return list(out)

    assert asyncio.run(main()) == [n * 10 for n in range(11)]
    assert calls == [[0], [1, 2, 3, 4, 5, 6, 7, 8], [9, 10]]
    assert conns.opened == [0] and conns.closed == [0]  # one connection, reused, then closed


def test_a_failed_batch_fails_its_callers_and_drops_its_connection() -> None:
    conns = Connections()

    async def run(held: int, items: Sequence[int]) -> list[int]:
        if held == 0:
            raise OSError("connection lost")
        return [held] * len(items)

    async def main() -> int:
        batcher = Batcher(run, conns.connect, conns.disconnect, flushes=1)
        with pytest.raises(OSError, match="connection lost"):
            await batcher.submit(1)
        return await batcher.submit(2)  # a new connection

    assert asyncio.run(main()) == 1
    assert conns.opened == [0, 1] and conns.closed == [0]


def test_a_wrong_number_of_results_is_an_error_not_a_mixup() -> None:
    conns = Connections()

    async def run(held: int, items: Sequence[int]) -> list[int]:
        await asyncio.sleep(0.02)
        return [1]

    async def main() -> list[object]:
        batcher = Batcher(run, conns.connect, conns.disconnect, flushes=1)
        first = asyncio.ensure_future(batcher.submit(1))
        await asyncio.sleep(0.005)
        pair = [asyncio.ensure_future(batcher.submit(n)) for n in (2, 3)]
        return list(await asyncio.gather(first, *pair, return_exceptions=True))

    first, *pair = asyncio.run(main())
    assert first == 1
    assert all(isinstance(e, RuntimeError) and "2 items" in str(e) for e in pair)


def test_no_connection_fails_the_waiting_callers() -> None:
    async def broken() -> int:
        raise ConnectionError("database down")

    async def disconnect(held: int) -> None:
        pass

    async def run(held: int, items: Sequence[int]) -> list[int]:
        return list(items)

    async def main() -> None:
        batcher = Batcher(run, broken, disconnect)
        with pytest.raises(ConnectionError):
            await batcher.submit(1)

    asyncio.run(main())


def test_each_event_loop_has_its_own_connections() -> None:
    conns = Connections()

    async def run(held: int, items: Sequence[int]) -> list[int]:
        return [held] * len(items)

    batcher = Batcher(run, conns.connect, conns.disconnect)
    assert asyncio.run(batcher.submit(1)) == 0
    assert asyncio.run(batcher.submit(1)) == 1  # another loop: another connection
