"""What the `huzhu` command-line tests share: run a command on a database, read its output,
and check that a refusal exits non-zero, names its rule and writes nothing."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, func, select, table
from typer.testing import CliRunner

from helpers import at, id_number
from huzhu.cli.app import app
from huzhu.cli.context import STATE
from huzhu.plans.loader import template_text

runner = CliRunner()

JAN2 = at("2026-01-02").isoformat()
BIRTH = date(1990, 5, 17)
ALICE = id_number(1, BIRTH)
BOB = id_number(2, BIRTH)
# Tables that a refused command must leave untouched.
WRITTEN = ("people", "memberships", "claims", "ledger_transactions", "plan_versions")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def text(s: str) -> str:
    """Output with colour codes removed and Rich's line wrapping undone."""
    return " ".join(ANSI.sub("", s).split())


def cli(database_url: str, *args: str, now: str = JAN2):
    result = runner.invoke(app, ["--database", database_url, "--now", now, *args])
    # Each invocation builds its own engine: close its pool so PostgreSQL connections do not pile
    # up over the run.
    if STATE._engine is not None:
        STATE._engine.dispose()
        STATE._engine = None
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"unexpected exception {result.exception!r}\nstdout: {result.stdout}\n"
        f"stderr: {result.stderr}"
    )
    return result


def ok(database_url: str, *args: str, now: str = JAN2):
    result = cli(database_url, *args, now=now)
    assert result.exit_code == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.scalar(select(func.count()).select_from(table(name))) or 0
            for name in WRITTEN
        }


def refused(engine: Engine, database_url: str, *args: str, codes: tuple[str, ...], now: str = JAN2):
    """Run a command that must be refused: non-zero exit, every code on stderr, nothing written."""
    before = counts(engine)
    result = cli(database_url, *args, now=now)
    err = text(result.stderr)
    assert result.exit_code != 0, f"{args} succeeded: {result.stdout}"
    for code in codes:
        assert code in err, f"{code!r} not in stderr: {err!r} (stdout {result.stdout!r})"
    assert "Traceback" not in result.output
    assert counts(engine) == before, f"{args} wrote something"
    return result


def init(database_url: str, now: str = JAN2) -> None:
    result = ok(database_url, "init", now=now)
    assert "plan templates installed" in result.stdout


def join_args(number: str, *extra: str, plan: str = "xiang-hu-bao", name: str = "吴小漫"):
    return ("join", "--plan", plan, "--id-number", number, "--name", name, *extra)


HEALTHY = ("--declare-healthy", "--credit-score", "700")
PREPAID = "qingsong-huzhu"  # members keep a balance and top it up
JAN7 = ("--plan", "xiang-hu-bao", "--date", "2026-01-07")


def claim_args(number: str, *, plan: str = "xiang-hu-bao", diagnosed: str = "2026-01-03"):
    """An accident claim, covered from the day of joining."""
    return (
        "claims", "submit", "--plan", plan, "--id-number", number, "--condition", "AC-01",
        "--diagnosed", diagnosed, "--hospital", "北京协和医院",
    )  # fmt: skip


def membership_of(result) -> int:
    found = re.search(r"membership (\d+)", result.stdout)
    assert found, result.stdout
    return int(found[1])


def statement(database_url: str, membership: int, now: str = JAN2) -> dict:
    result = ok(database_url, "statement", "--membership", str(membership), "--json", now=now)
    return json.loads(result.stdout)


def plan_file(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body, "utf-8")
    return path


def my_plan(replace: tuple[str, str] | None = None) -> str:
    body = template_text("xiang-hu-bao").replace('id = "xiang-hu-bao"', 'id = "my-plan"')
    if replace:
        assert replace[0] in body
        body = body.replace(*replace)
    return body


def said(url: str, now: str, *args: str, code: int = 0) -> str:
    """Run a command at `now`, check its exit code, and return what it printed on one line
    without colours."""
    result = runner.invoke(app, ["--database", url, "--now", now, *args])
    if STATE._engine is not None:
        STATE._engine.dispose()
        STATE._engine = None
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    words = " ".join(ANSI.sub("", result.stdout + result.stderr).split())
    assert result.exit_code == code, words
    return words
