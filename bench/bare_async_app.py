"""The lean baseline for the join benchmark: an async FastAPI endpoint that inserts one row.

Where `bare_insert_app.py` uses the same stack as huzhu's general path (a sync endpoint on the
thread pool, SQLAlchemy, a pre-pinged pooled connection, BEGIN/INSERT/COMMIT), this is about the
least a FastAPI endpoint can do to insert a row into PostgreSQL: an `async def` endpoint, the same
pydantic body, and one `INSERT ... RETURNING` in autocommit on a psycopg `AsyncConnectionPool`
(one round trip). The join benchmark compares huzhu's join with the faster of the two baselines.

    HUZHU_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/huzhu_bench \\
        .venv/bin/uvicorn bench.bare_async_app:app --port 8702
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated

from bare_insert_app import BareIn  # the same body shape (and table) as the other baseline
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url

INSERT = (
    "INSERT INTO bench_bare_inserts (idempotency_key, plan_id, id_number, name, created_at)"
    " VALUES (%s, %s, %s, %s, %s) RETURNING id"
)


def _conninfo() -> str:
    url = make_url(os.environ["HUZHU_DATABASE_URL"])
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


pool = AsyncConnectionPool(
    _conninfo(), min_size=4, max_size=20, open=False, kwargs={"autocommit": True}
)


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    await pool.open()
    yield
    await pool.close()


app = FastAPI(title="lean async insert baseline", lifespan=lifespan)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/v1/bare", status_code=201)
async def bare_insert(
    body: BareIn,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    now = datetime.now(UTC)
    async with pool.connection() as conn:
        cur = await conn.execute(
            INSERT, (idempotency_key, body.plan_id, body.person.id_number, body.person.name, now)
        )
        row = await cur.fetchone()
    assert row is not None
    return JSONResponse({"id": row[0], "created_at": now.isoformat()}, status_code=201)
