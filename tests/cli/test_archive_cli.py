"""`huzhu rounds archive` and `huzhu rounds archived`, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re

from sqlalchemy import Engine
from typer.testing import CliRunner

from archivekit import PLAN, archive_table, build_settled, hot_rows
from huzhu.cli.app import app
from huzhu.cli.context import STATE
from money.moneykit import build, run

runner = CliRunner()
ANSI = re.compile(r"\x1b\[[0-9;]*m")
NOW = "2027-01-05T10:00"


def cli(url: str, *args: str, code: int = 0, now: str = NOW) -> str:
    result = runner.invoke(app, ["--database", url, "--now", now, *args])
    if STATE._engine is not None:
        STATE._engine.dispose()
        STATE._engine = None
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    text = " ".join(ANSI.sub("", result.stdout + result.stderr).split())
    assert result.exit_code == code, text
    return text


def test_archive_from_the_command_line(engine: Engine, database_url: str) -> None:
    s = build_settled(engine, members=20)
    url = database_url
    member = str(s.charges[s.first][4][0])
    before = json.loads(cli(url, "statement", "--membership", member, "--json"))
    archive = ("rounds", "archive", "--plan", PLAN, "--before", "2027-01-01")

    dry = cli(url, *archive, "--dry-run")
    assert "would archive 2 round(s); 0 were archived before" in dry
    assert hot_rows(engine, s.first) == len(s.charges[s.first])

    done = cli(url, *archive)
    assert "archived 2 round(s); 0 were archived before" in done
    assert archive_table(engine, s.second) in done
    assert hot_rows(engine, s.first) == hot_rows(engine, s.second) == 0
    assert "already archived" in cli(url, *archive)
    assert "archived 0 round(s); 2 were archived before" in cli(url, *archive)

    after = json.loads(cli(url, "statement", "--membership", member, "--json"))
    assert after == before
    assert "audit passed" in cli(url, "audit")
    listed = cli(url, "rounds", "archived", "--plan", PLAN)
    assert str(len(s.charges[s.first])) in listed and archive_table(engine, s.first) in listed
    assert "no round of pp was announced before 2026-01-01" in cli(
        url, "rounds", "archive", "--plan", PLAN, "--before", "2026-01-01"
    )


def test_an_unsettled_round_is_refused(engine: Engine, database_url: str) -> None:
    build(engine, "meituan-huzhu", PLAN, 10)
    round_id = run(engine, PLAN, "2026-01-11").round.id
    refused = cli(
        database_url, "rounds", "archive", "--plan", PLAN, "--before", "2027-01-01", code=2
    )
    assert "refused:" in refused
    assert "collection-open [before]: round pp 2026-01-11: collection is still open" in refused
    assert "payouts-open [before]" in refused
    assert hot_rows(engine, round_id) == 10
    bad = cli(database_url, "rounds", "archive", "--plan", PLAN, "--before", "soon", code=2)
    assert "is not a date" in bad
