"""The baseline for the join benchmark: a bare FastAPI endpoint that inserts one row.

It uses the same stack as huzhu's API so that the ratio measures huzhu's own work per join: FastAPI
with a sync endpoint (run on the same thread pool), a pydantic body of the same shape as a join,
SQLAlchemy Core on psycopg 3 through `huzhu.storage.engine.make_engine` with the API's pool settings
(pool_size=20, max_overflow=20, pre-ping), one transaction per request, and the same database.

    HUZHU_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/huzhu_bench \\
        .venv/bin/uvicorn bench.bare_insert_app:app --port 8701

`bench/join_load.py` starts it for you. The table it writes, `bench_bare_inserts`, is created by
`join_load.py` (and here, if missing) and belongs to the benchmark only.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Annotated

from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import BigInteger, Column, DateTime, MetaData, String, Table, insert

from huzhu.storage.engine import make_engine

metadata = MetaData()
bare_inserts = Table(
    "bench_bare_inserts",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(200)),
    Column("plan_id", String(64), nullable=False),
    Column("id_number", String(32), nullable=False),
    Column("name", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id_number: Annotated[str, Field(min_length=5, max_length=32)]
    name: Annotated[str, Field(min_length=1, max_length=100)]


class BareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan_id: Annotated[str, Field(min_length=1, max_length=64)]
    health_answers: dict[str, bool]
    person: PersonIn


# The same engine settings as huzhu.api.app.create_app on PostgreSQL.
engine = make_engine(os.environ["HUZHU_DATABASE_URL"], pool_size=20, max_overflow=20)
metadata.create_all(engine, checkfirst=True)
app = FastAPI(title="bare insert baseline")


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/v1/bare", status_code=201)
def bare_insert(
    body: BareIn,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        new_id = conn.execute(
            insert(bare_inserts)
            .values(
                idempotency_key=idempotency_key,
                plan_id=body.plan_id,
                id_number=body.person.id_number,
                name=body.person.name,
                created_at=now,
            )
            .returning(bare_inserts.c.id)
        ).scalar_one()
    return JSONResponse({"id": new_id, "created_at": now.isoformat()}, status_code=201)
