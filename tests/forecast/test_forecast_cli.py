"""`huzhu forecast` end to end on SQLite and PostgreSQL: files written, refusals write nothing,
`--from-db` fits the plan's own rounds, `forecast warnings` exits non-zero when one fires."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, func, select, table
from typer.testing import CliRunner

from helpers import at, install, join_many
from huzhu.cli.app import app
from huzhu.cli.context import STATE
from huzhu.domain.identity import make_resident_id
from huzhu.forecast.report import COLUMNS

runner = CliRunner()
XHB = ("--plan", "xiang-hu-bao")
TABLES = ("memberships", "rounds", "ledger_transactions", "plan_versions")


def cli(url: str, *args: str, now: str = "2026-03-01T10:00:00+08:00"):
    result = runner.invoke(app, ["--database", url, "--now", now, *args])
    if STATE._engine is not None:
        STATE._engine.dispose()
        STATE._engine = None
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.scalar(select(func.count()).select_from(table(t))) or 0 for t in TABLES}


def test_forecast_writes_the_csv_and_the_report(engine: Engine, database_url: str, tmp_path: Path):
    install(engine, at("2026-01-01"))
    out = tmp_path / "out"
    args = ("--start", "2018-10-16", "--rounds", "8", "--paths", "5", "--out", str(out))
    result = cli(database_url, "forecast", *XHB, *args)
    assert result.exit_code == 0, result.output
    assert "forecast xiang-hu-bao" in result.stderr  # the progress bar
    with (out / "rounds.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == COLUMNS
    assert [r["date"] for r in rows[:3]] == ["2018-10-21", "2018-11-07", "2018-11-21"]
    assert int(rows[-1]["members"]) > 10_000_000
    html = (out / "report.html").read_text()
    assert "Plotly.newPlot" in html
    assert not re.search(r"<script[^>]+src=", html)  # plotly.js is inline: no network


def refuse(engine: Engine, url: str, tmp_path: Path, *args: str, expect: str) -> None:
    before = counts(engine)
    out = tmp_path / "refused"
    result = cli(url, "forecast", *args, "--rounds", "4", "--paths", "2", "--out", str(out))
    assert result.exit_code != 0
    assert expect in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()
    assert counts(engine) == before


def test_refusals_name_the_field_and_write_nothing(
    engine: Engine, database_url: str, tmp_path: Path
):
    install(engine, at("2026-01-01"))
    refuse(engine, database_url, tmp_path, "--plan", "no-such-plan", expect="[plan]")
    cases = {
        "unknown.toml": ("[incidence]\nscael = 1.3\n", "incidence.scael"),
        "negative.toml": ("[exits]\nchurn_per_year = -0.1\n", "exits.churn_per_year"),
        "probability.toml": ("[growth]\ncompetitor_share = 1.5\n", "growth.competitor_share"),
        "plan.toml": ('plan = "no-such-plan"\n', "[plan]"),
        "surge.toml": ("[[growth.surges]]\nfirst_round = 1\nrounds = 2\n", "joins_per_round"),
    }
    for name, (text, field) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        refuse(engine, database_url, tmp_path, *XHB, "--scenario", str(path), expect=field)


def test_from_db_fits_the_plans_history_and_warnings_fire(
    engine: Engine, database_url: str, tmp_path: Path
):
    install(engine, at("2026-01-01"))
    birth = date(1990, 1, 1)
    assert join_many(engine, "xiang-hu-bao", 300, at("2026-01-02")) == 300
    for day in ("2026-01-07", "2026-01-21", "2026-02-07"):
        now = f"{day}T10:00:00+08:00"
        assert cli(database_url, "rounds", "run", *XHB, "--date", day, now=now).exit_code == 0
        for i in range(5):
            n = {"2026-01-07": 0, "2026-01-21": 5, "2026-02-07": 10}[day] + i
            person = make_resident_id(f"{110101 + n // 1000:06d}", birth, n % 1000)
            left = cli(database_url, "leave", *XHB, "--id-number", person, now=now)
            assert left.exit_code == 0, left.output
    out = tmp_path / "db"
    args = ("--from-db", "--rounds", "6", "--paths", "4", "--out", str(out))
    result = cli(database_url, "forecast", *XHB, *args)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "fitted on 3 rounds" in text and "churn" in text and "goodness of fit" in text
    with (out / "rounds.csv").open() as f:
        first = next(csv.DictReader(f))
    assert first["date"] == "2026-03-07" and 250 <= int(first["members"]) <= 300
    stop = tmp_path / "stop.toml"
    stop.write_text(
        'name = "growth stops"\nplan = "xiang-hu-bao"\n[growth]\nstop_after_round = 0\n'
    )
    fired = cli(database_url, "forecast", "warnings", *XHB, "--scenario", str(stop))
    assert fired.exit_code == 1, fired.output
    assert "net-outflow" in fired.stdout
    unknown = cli(database_url, "forecast", "warnings", "--plan", "no-such-plan")
    assert unknown.exit_code == 2 and "unknown-plan" in unknown.stderr
