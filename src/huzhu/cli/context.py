"""What every command shares: the database, the clock, and how refusals are reported."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from huzhu.domain.errors import HuzhuError, InvalidInput, RuleViolation
from huzhu.domain.plan_fields import CHINA_TZ
from huzhu.settings import Settings
from huzhu.storage.engine import has_schema, make_engine, migrate, schema_is_current
from huzhu.storage.uow import UnitOfWork

# Piped output (CI logs, files) gets room for the round tables instead of Rich's default 80.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class State:
    database: str | None = None
    now_text: str | None = None
    settings: Settings = field(default_factory=Settings.model_construct)  # root command loads
    _engine: Engine | None = None

    def engine(self, *, create: bool = False) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.database)
            if create:
                migrate(self._engine)
            elif _missing_sqlite_file(self._engine) or not has_schema(self._engine):
                raise HuzhuError(
                    "no huzhu database here yet; run `huzhu init` first", code="no-database"
                )
            elif not schema_is_current(self._engine):
                migrate(self._engine)
        return self._engine

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine())

    def now(self) -> datetime:
        return datetime.now(UTC) if self.now_text is None else parse_moment(self.now_text, "now")


def parse_moment(text: str, option: str) -> datetime:
    """An ISO 8601 moment; one without an offset is read as Beijing time, the plans' clock."""
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"--{option} {text!r} is not an ISO 8601 time", field=option) from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=CHINA_TZ)


STATE = State()


def _missing_sqlite_file(engine: Engine) -> bool:
    """A SQLite file that is not there yet: opening it would create an empty one, so a command
    that says "run `huzhu init` first" would leave a stray file behind."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return False
    return not Path(url.database or "").exists()


def report_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn refusals into a readable message and a non-zero exit, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except RuleViolation as e:
            err.print(f"[red]refused:[/red] {len(e.violations)} rule(s) not met", highlight=False)
            for v in e.violations:
                where = f" [{v.field}]" if v.field else ""
                err.print(f"  - {v.code}{where}: {v.message}", highlight=False, markup=False)
            raise typer.Exit(2) from None
        except HuzhuError as e:
            err.print(f"error: {e}", highlight=False, markup=False)
            raise typer.Exit(2) from None
        except OperationalError as e:
            err.print(f"error: database-unavailable: {e.orig}", highlight=False, markup=False)
            raise typer.Exit(3) from None

    return wrapper


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
