"""Database URLs, engines and migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from huzhu.domain.errors import InvalidInput

DEFAULT_URL = "sqlite:///huzhu.db"
MIGRATIONS = Path(__file__).parent / "migrations"
# Pooled connections per engine; the API bounds concurrent database requests below this
# (api/capacity.py), so a request never waits in a worker thread for a connection.
POOL_SIZE = 32
POOL_OVERFLOW = 8
# A transaction marked read-only begins deferred on SQLite (execution option on the connection).
READ_ONLY = "huzhu_read_only"
# How long a writer waits for SQLite's one write lock before it gives up ("database is locked").
SQLITE_BUSY_TIMEOUT_MS = 15000


def database_url(explicit: str | None = None) -> str:
    """The URL given (the entry point resolves --database and HUZHU_DATABASE_URL), else the
    embedded default."""
    url = explicit or DEFAULT_URL
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        # psycopg 3 is the driver huzhu ships with.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    """Writers take SQLite's write lock when they begin, readers never take it.

    `BEGIN IMMEDIATE` for a write transaction makes a second writer wait (busy timeout) at its
    start instead of failing later when a deferred read lock cannot be upgraded. A read-only
    transaction begins deferred and, in WAL mode, reads its snapshot alongside the writer: begun
    IMMEDIATE, 50 concurrent plan reads queued on the write lock and answered "database is locked".
    """
    read_only = conn.get_execution_options().get(READ_ONLY, False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    resolved = database_url(url)
    try:
        parsed = make_url(resolved)
    except ArgumentError as err:
        raise InvalidInput(f"cannot read database URL {resolved!r}", field="database") from err
    if parsed.get_backend_name() == "sqlite":
        if parsed.database not in (None, "", ":memory:"):
            kwargs.setdefault("pool_size", POOL_SIZE)
            kwargs.setdefault("max_overflow", POOL_OVERFLOW)
        engine = create_engine(resolved, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own BEGIN handling is off so that SQLAlchemy's transactions are real ones.
        event.listen(engine, "connect", lambda c, _r: setattr(c, "isolation_level", None))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise InvalidInput(
            f"huzhu runs on SQLite or PostgreSQL, not {parsed.get_backend_name()}",
            code="database-unsupported",
            field="database",
        )
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", POOL_OVERFLOW)
    return create_engine(resolved, **kwargs)


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is already there)."""
    command.upgrade(_alembic_config(engine), "head")


def revisions(engine: Engine) -> tuple[str | None, str | None]:
    """(the database's migration, this code's newest)."""
    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision(), head


def schema_is_current(engine: Engine) -> bool:
    current, head = revisions(engine)
    return current == head


class SchemaBehind(Exception):
    """The database is not at this code's migration: a server must not start on it."""


def check_schema(engine: Engine) -> None:
    current, head = revisions(engine)
    if current != head:
        where = engine.url.render_as_string(hide_password=True)
        found = f"migration {current}" if current else "no huzhu schema"
        raise SchemaBehind(
            f"the database {where} has {found}, this huzhu needs {head}: "
            "run `huzhu migrate` (or `huzhu init` for a new database) before starting the server"
        )


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("plans")


def refresh_statistics(engine: Engine, *tables: str) -> None:
    """Give PostgreSQL's planner statistics after a bulk load.

    Without them the planner takes freshly loaded millions for a few hundred rows and picks index
    scans where a sequential scan wins (a round's headcount took 5x longer). Autovacuum would get
    there eventually; a round run right after an import should not wait for it.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.exec_driver_sql(f'ANALYZE "{table}"')


def libpq_url(engine: Engine) -> str:
    """The engine's PostgreSQL URL as libpq reads it, for connections outside SQLAlchemy."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
