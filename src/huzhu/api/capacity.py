"""How many requests may use the database at once, sized with the pool and the thread pool.

Sync endpoints and their dependencies run on AnyIO's worker threads, one short call at a time: a
request takes its pooled connection in one thread call (`get_uow`), then waits for another thread
to run the endpoint. Unbounded, 50 concurrent requests took all the connections and then all the
threads, the threads blocked waiting for a connection, the connections' requests waited for a
thread, and everything stalled until the pool's 30 s timeout answered 500s.

So a request first takes a database slot, waiting on the event loop (holding neither a thread nor a
connection). There are fewer slots than pooled connections, leaving some to the webhook and gateway
threads, and more threads than slots, so a request holding a slot always finds both.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI, Request

from huzhu.storage.engine import POOL_SIZE

# Connections left to work outside requests: webhook delivery, the sandbox gateway's pump, the
# plans-in-force cache of the quick join.
RESERVED_CONNECTIONS = 8
DB_SLOTS = POOL_SIZE - RESERVED_CONNECTIONS
# Threads beyond the slots, for sync endpoints that do not touch the database.
SPARE_THREADS = 16


Slots = weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]


def install(app: FastAPI) -> None:
    # One semaphore per event loop: the test client and a live server run the same app on
    # different loops, and an asyncio primitive belongs to one loop.
    app.state.db_slots = Slots()


@asynccontextmanager
async def db_slot(app: FastAPI) -> AsyncIterator[None]:
    """Hold one of the app's database slots; the first use on a loop sizes its thread pool."""
    loop = asyncio.get_running_loop()
    per_loop: Slots = app.state.db_slots
    semaphore = per_loop.get(loop)
    if semaphore is None:
        limiter = to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens, DB_SLOTS + SPARE_THREADS)
        semaphore = per_loop[loop] = asyncio.Semaphore(DB_SLOTS)
    async with semaphore:
        yield


async def request_slot(request: Request) -> AsyncIterator[None]:
    """A dependency: hold a database slot for the whole request."""
    async with db_slot(request.app):
        yield
