"""`huzhu forecast ...`: where a plan is heading, and `huzhu forecast warnings` for cron."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from huzhu.cli.context import STATE, err, out, report_errors
from huzhu.cli.forecast_html import write_report
from huzhu.domain.errors import InvalidInput
from huzhu.domain.money import format_yuan
from huzhu.forecast.report import write_csv
from huzhu.services.plans.forecasts import ForecastRequest, early_warnings, forecast, prepare

app = typer.Typer(help="Forecasts and stress tests of a plan.")


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date (YYYY-MM-DD)", field="start") from None


def _scenario(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise InvalidInput(f"cannot read {path}: {e.strerror}", field="scenario") from None


@app.callback(invoke_without_command=True)
@report_errors
def main(
    ctx: typer.Context,
    plan: str | None = typer.Option(None, help="The plan to forecast."),
    rounds: int | None = typer.Option(None, help="How many rounds ahead."),
    start: str | None = typer.Option(None, help="First day (default: launch, or today)."),
    members: int | None = typer.Option(None, help="Headcount of the plan (rescales it)."),
    scenario: Path | None = typer.Option(None, help="A scenario file (TOML)."),
    paths: int = typer.Option(200, help="Monte Carlo paths."),
    seed: int = typer.Option(0, help="Seed: the same seed gives the same forecast."),
    from_db: bool = typer.Option(
        False, "--from-db", help="Start from the plan's actual members and fit its history."
    ),
    out_dir: Path | None = typer.Option(None, "--out", help="Where to write the report."),
) -> None:
    """Project a plan round by round: headcount, cases, the share with percentile bands, the
    backstop and the chance the annual cap binds. Writes DIR/rounds.csv and DIR/report.html."""
    if ctx.invoked_subcommand is not None:
        return
    for name, value in (("plan", plan), ("rounds", rounds), ("out", out_dir)):
        if value is None:
            raise InvalidInput(f"--{name} is required", code="missing-option", field=name)
    assert plan is not None and rounds is not None and out_dir is not None
    req = ForecastRequest(
        plan_id=plan, rounds=rounds, paths=paths, seed=seed, start=_date(start),
        members=members, scenario_text=_scenario(scenario),
        scenario_source=str(scenario), from_db=from_db,
    )  # fmt: skip
    now = STATE.now()
    with STATE.uow() as uow:
        prepare(uow, req, now)  # every refusal before anything is written
        with Progress(
            TextColumn("forecast {task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=err,
        ) as bar:  # fmt: skip
            task = bar.add_task(plan, total=rounds)
            result = forecast(uow, req, now, lambda done: bar.update(task, completed=done))
    out_dir.mkdir(parents=True, exist_ok=True)
    write_csv(result.forecast.rows, out_dir / "rounds.csv")
    write_report(result.forecast, result.fit, out_dir / "report.html")
    last = result.forecast.rows[-1]
    out.print(
        f"{plan}: {len(result.forecast.rows)} rounds to {last.date}, median share "
        f"{format_yuan(last.share_p50)} yuan, {last.members:,} members"
    )
    if result.fit is not None:
        out.print(result.fit.describe())
    for w in result.forecast.warnings:
        out.print(f"warning {w.code} ({w.source}, {w.on}): {w.message}", markup=False)
    out.print(f"wrote {out_dir / 'rounds.csv'} and {out_dir / 'report.html'}")


@app.command("warnings")
@report_errors
def warnings_command(
    plan: str = typer.Option(..., help="The plan to check."),
    rounds: int = typer.Option(24, help="Rounds of forecast to look through."),
    paths: int = typer.Option(100, help="Monte Carlo paths."),
    scenario: Path | None = typer.Option(None, help="Check under a scenario file (TOML)."),
) -> None:
    """Early-warning signals from the plan's real rounds and its forecast; exits 1 if any fire."""
    with STATE.uow() as uow:
        found = early_warnings(
            uow, plan, STATE.now(), rounds=rounds, paths=paths, scenario=_scenario(scenario)
        )
    if not found:
        out.print(f"{plan}: no warning")
        return
    table = Table("code", "from", "on", "message")
    for w in found:
        table.add_row(w.code, w.source, w.on.isoformat(), w.message)
    out.print(table)
    raise typer.Exit(1)
