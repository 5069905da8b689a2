"""A uniform round's charges on PostgreSQL, written with COPY by two connections at once.

`INSERT ... SELECT` writes one WAL record per row and runs on one core: 10 million charges took
7-8 s of a 12 s round on the 2-core benchmark machine. COPY writes rows a page at a time. So the
round's transaction exports its snapshot; a second, read-only connection imports it and produces
the charges as COPY text in chunks (the database formats them; Python only passes chunks on),
while the round's own connection copies them into the round's partition. One core each.

The reader cannot see the round's own uncommitted writes: the age-out at its start, and claimants
whose cover ends as their claims become final. It recognises every row the round's transaction
has changed (its `xmax` is that transaction's id) and leaves those to the round's connection, which
charges them by its own view. Every locked member counted by the round must then be accounted for;
if not (a member the reader could not see, or a concurrent change), the caller falls back to the
plain `INSERT ... SELECT`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import psycopg
from sqlalchemy import (
    BigInteger,
    Connection,
    Text,
    and_,
    bindparam,
    cast,
    column,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import Select
from sqlalchemy.types import UserDefinedType

from huzhu.storage.tables import memberships


class Xid(UserDefinedType[str]):
    """PostgreSQL's transaction id type, for comparing a row's xmax."""

    cache_ok = True

    def get_col_spec(self, **_: Any) -> str:
        return "xid"


CHUNK_IDS = 250_000  # membership ids per chunk: a few MB of COPY text
AHEAD = 4  # chunks the reader may run ahead of the writer


def _compiled(conn: Connection, query: Select[Any]) -> tuple[str, dict[str, Any]]:
    compiled = query.compile(dialect=conn.dialect)
    return str(compiled), dict(compiled.params)


@contextmanager
def _reader(conn: Connection) -> Iterator[tuple[psycopg.Connection[Any], str]]:
    """A read-only connection on the round transaction's snapshot, and that transaction's id."""
    snapshot, xid = conn.execute(
        text("SELECT pg_export_snapshot(), pg_current_xact_id()::xid::text")
    ).one()
    pooled = conn.engine.raw_connection()
    try:
        reader = pooled.driver_connection
        assert isinstance(reader, psycopg.Connection)
        reader.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        reader.read_only = True
        try:
            reader.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            reader.execute("SET LOCAL jit = off")
            yield reader, str(xid)
        finally:
            reader.rollback()
            reader.isolation_level = None
            reader.read_only = None
    finally:
        pooled.close()


def copy_charges(
    conn: Connection, partition: str, round_id: int, amount: int, locked: Any, expected: int
) -> int | None:
    """Write every locked member's charge into the round's (new, empty) partition.

    Returns the rows written, or None when they do not account for the `expected` members; the
    partition then holds a partial set that the caller must empty.
    """
    row_end = f"\t{int(round_id)}\t{int(amount)}\t\\N\n"  # round_id, amount, year_total (NULL)
    with _reader(conn) as (reader, xid):
        bounds = reader.execute("SELECT min(id), max(id) FROM memberships").fetchone()
        if bounds is None or bounds[0] is None:
            return 0 if expected == 0 else None
        # Rows the round's transaction has updated or locked carry its id in xmax.
        mine = literal_column("memberships.xmax", Xid()) == cast(bindparam("xid"), Xid())
        chunk = select(
            func.string_agg(cast(memberships.c.id, Text), bindparam("row_end")).filter(~mine),
            func.array_agg(memberships.c.id).filter(mine),
        ).where(
            memberships.c.id >= bindparam("low"),
            memberships.c.id < bindparam("high"),
            or_(mine, locked),
        )
        sql, params = _compiled(conn, chunk)
        params.update(xid=xid, row_end=row_end)
        touched: list[int] = []
        span = (int(bounds[0]), int(bounds[1]))
        copied = _relay(conn, reader, partition, (sql, params), row_end, span, touched)
    rows = copied + _charge_touched(conn, partition, round_id, amount, locked, touched)
    return rows if rows == expected else None


def _relay(
    conn: Connection,
    reader: psycopg.Connection[Any],
    partition: str,
    query: tuple[str, dict[str, Any]],
    row_end: str,
    span: tuple[int, int],
    touched: list[int],
) -> int:
    """Read chunks on a thread while this one copies them in; returns the rows copied.

    Members the round's transaction changed are collected into `touched` instead."""
    sql, params = query
    first, last = span
    chunks: queue.Queue[str | BaseException | None] = queue.Queue(maxsize=AHEAD)
    stop = threading.Event()

    def read() -> None:
        try:
            low = first
            while low <= last and not stop.is_set():
                found = reader.execute(
                    sql, {**params, "low": low, "high": low + CHUNK_IDS}
                ).fetchone()
                if found and found[1]:
                    touched.extend(int(i) for i in found[1])
                if found and found[0]:
                    chunks.put(found[0] + row_end)
                low += CHUNK_IDS
            chunks.put(None)
        except BaseException as exc:  # the writer raises it
            chunks.put(exc)

    producer = threading.Thread(target=read, name="round-charges-reader", daemon=True)
    producer.start()
    writer = conn.connection.driver_connection
    assert isinstance(writer, psycopg.Connection)
    try:
        with writer.cursor() as cur:
            columns = "(membership_id, round_id, amount, year_total)"
            with cur.copy(f"COPY {partition} {columns} FROM STDIN") as copy:
                while (item := chunks.get()) is not None:
                    if isinstance(item, BaseException):
                        raise item
                    copy.write(item)
            return int(cur.rowcount)
    finally:
        stop.set()
        while producer.is_alive():  # let a reader blocked on a full queue finish
            with suppress(queue.Empty):
                chunks.get(timeout=0.1)
        producer.join()


def _charge_touched(
    conn: Connection, partition: str, round_id: int, amount: int, locked: Any, ids: list[int]
) -> int:
    """Charge, by the round's own view, the members its transaction changed."""
    if not ids:
        return 0
    target = table(
        partition, column("membership_id"), column("round_id"), column("amount"),
        column("year_total"),
    )  # fmt: skip
    chosen = memberships.c.id == func.any(cast(bindparam("ids"), ARRAY(BigInteger)))
    query = select(memberships.c.id, literal(round_id), literal(amount), literal(None)).where(
        and_(chosen, locked)
    )
    result = conn.execute(
        insert(target).from_select(["membership_id", "round_id", "amount", "year_total"], query),
        {"ids": ids},
        execution_options={"preserve_rowcount": True},
    )
    return int(result.rowcount)
