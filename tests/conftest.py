"""Database fixtures: every test that asks for `engine` runs once on SQLite and once on PostgreSQL.

PostgreSQL is never skipped: when it does not answer, the test fails and says how to start it
(`make test` starts one through scripts/ensure-postgres.sh).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url

# Importing these registers every table on the shared metadata, for truncation.
from huzhu.storage import tables_access, tables_claims, tables_money, tables_record  # noqa: F401
from huzhu.storage.engine import make_engine, migrate
from huzhu.storage.tables import metadata
from huzhu.storage.tables_archive import ARCHIVE_SCHEMA

PG_SERVER = os.environ.get(
    "HUZHU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/huzhu_test"
)
# Each test run gets its own database, so parallel runs on one server never see each other.
PG_URL = make_url(PG_SERVER).set(database=f"{make_url(PG_SERVER).database}_{os.getpid()}")


def _admin(parsed: URL) -> Engine:
    return create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")


def _ensure_pg_database(parsed: URL) -> None:
    admin = _admin(parsed)
    try:
        with admin.connect() as conn:
            exists = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
            )
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    except Exception as exc:  # pragma: no cover - the message is the point
        pytest.fail(
            f"PostgreSQL is not reachable at {parsed.render_as_string()}: {exc}\n"
            "Start it with scripts/ensure-postgres.sh (make test does this).",
            pytrace=False,
        )
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    _ensure_pg_database(PG_URL)
    engine = make_engine(PG_URL.render_as_string(hide_password=False))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    migrate(engine)
    yield engine
    engine.dispose()
    admin = _admin(PG_URL)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_URL.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "huzhu.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


def _truncate(engine: Engine) -> None:
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        # Archived rounds' tables live outside the metadata, in their own schema.
        conn.execute(text(f"DROP SCHEMA IF EXISTS {ARCHIVE_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {ARCHIVE_SCHEMA}"))


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        path = tmp_path / "huzhu.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
    else:
        eng = request.getfixturevalue("pg_engine")
        _truncate(eng)
        yield eng


@pytest.fixture
def database_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def postgres(pg_engine: Engine) -> Engine:
    """PostgreSQL alone, emptied, for what only PostgreSQL has (partitions, archive tables)."""
    _truncate(pg_engine)
    return pg_engine
