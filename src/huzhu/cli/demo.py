"""`huzhu demo`: months of living plans up to now, with accounts to sign in with."""

from __future__ import annotations

from datetime import date

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from huzhu.cli.context import STATE, out, report_errors
from huzhu.domain.money import format_yuan
from huzhu.services.plans.service import install_templates
from huzhu.simulation.accounts import PASSWORD_ENV
from huzhu.simulation.demo import MIN_MONTHS, DemoConfig, DemoResult, run_demo


def _plans(result: DemoResult) -> Table:
    table = Table("plan", "members", "rounds", "cases", "payouts", "fee", "members charged",
                  "operator's backstop", "cash", title="plans (yuan)")  # fmt: skip
    for p in result.plans:
        table.add_row(
            p.plan_id, f"{p.members:,}", str(p.rounds), str(p.cases), format_yuan(p.payouts),
            format_yuan(p.fee), format_yuan(p.charged), format_yuan(p.backstop),
            format_yuan(p.cash),
        )  # fmt: skip
    return table


def _accounts(result: DemoResult, address: str) -> Table:
    table = Table("sign in as", "password", "role", title=f"huzhu at {address}")
    for a in result.accounts:
        table.add_row(a.username, a.password, a.role.value)
    return table


def register(root: typer.Typer) -> None:
    @root.command()
    @report_errors
    def demo(
        members: int = typer.Option(20_000, min=200, max=10_000_000),
        months: int = typer.Option(6, min=MIN_MONTHS, max=60),
        seed: int = typer.Option(2018),
        address: str = typer.Option(
            "http://127.0.0.1:8000/", help="Where `huzhu serve` will answer (printed at the end)."
        ),
    ) -> None:
        """Simulate months of four plans up to now (or --now): members join, claim and pay,
        rounds run, the sandbox gateway collects and pays. Then print the accounts to sign in."""
        now = STATE.now()
        engine = STATE.engine(create=True)
        with STATE.uow() as uow:
            install_templates(uow, now)
            uow.commit()
        out.print(
            f"[bold]huzhu demo[/bold]: {members:,} people, {months} months up to {now:%Y-%m-%d}"
        )
        out.print(
            "[yellow]A mutual aid plan is not insurance; payouts are not guaranteed.[/yellow]"
        )
        with Progress(
            TextColumn("{task.description}"), BarColumn(),
            TextColumn("{task.completed}/{task.total} days"), TimeElapsedColumn(),
            console=out, transient=True,
        ) as progress:  # fmt: skip
            task = progress.add_task("simulating", total=None)

            def show(day: date, days: int) -> None:
                progress.update(task, total=days, advance=1, description=f"simulating {day}")

            result = run_demo(engine, DemoConfig(members, months, seed, now), show)
        out.print(f"simulated {result.start} to {result.today}")
        out.print(_plans(result))
        claims = ", ".join(f"{n} {state}" for state, n in result.claims.items())
        out.print(f"claims: {claims}")
        c = result.counts
        out.print(
            f"gateway: {c['debit batches']} debit batches, {c['failed debits']:,} failed debits, "
            f"{c['debits retried']:,} retried, {c['payouts sent']} payouts; "
            f"{c['reconciliation issues']} reconciliation issue(s) to look at"
        )
        out.print(
            f"prepaid: {c['deposits']:,} deposits and {c['top-ups']:,} top-ups; "
            f"{c['members reminded']:,} reminders to top up, {c['members suspended']:,} "
            "suspended for a low balance"
        )
        out.print(_accounts(result, address))
        if not STATE.settings.demo_password:
            out.print(f"(passwords are new each run; set ${PASSWORD_ENV} to choose one)")
