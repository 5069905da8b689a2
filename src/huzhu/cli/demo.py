"""`huzhu demo`: a synthetic population run through simulated months of a plan."""

from __future__ import annotations

from datetime import date

import typer
from rich.progress import Progress
from rich.table import Table

from huzhu.cli.context import STATE, out, report_errors
from huzhu.cli.rounds import round_table
from huzhu.domain.errors import InvalidInput
from huzhu.domain.identity import mask_name, province_name
from huzhu.domain.money import format_yuan
from huzhu.services.plans import install_templates
from huzhu.services.rounds import RoundOutcome
from huzhu.simulation.demo import DemoConfig, run_demo


def register(root: typer.Typer) -> None:
    @root.command()
    @report_errors
    def demo(
        members: int = typer.Option(10_000, min=1, max=10_000_000),
        months: int = typer.Option(6, min=1, max=120),
        plan: str = typer.Option("xiang-hu-bao"),
        seed: int = typer.Option(2018),
        start: str = typer.Option("2026-01-01", help="First simulated day."),
    ) -> None:
        """Build a synthetic population, join them, simulate claims and run every round."""
        try:
            first = date.fromisoformat(start)
        except ValueError:
            raise InvalidInput(f"{start!r} is not a date", field="start") from None
        engine = STATE.engine(create=True)
        with STATE.uow() as uow:
            install_templates(uow, STATE.now())
            uow.commit()
        out.print(
            f"[bold]huzhu demo[/bold]: {members:,} people, {months} months of {plan} from {first}"
        )
        out.print(
            "[yellow]A mutual aid plan is not insurance; payouts are not guaranteed.[/yellow]"
        )

        def show(outcome: RoundOutcome) -> None:
            r = outcome.round
            with STATE.uow() as uow:
                cards = uow.rounds.case_cards(r.id)
                people = uow.rounds.claimants(r.id)
            if cards:
                table = Table("case", "name", "condition", "age", "province", "payout",
                              title=f"{r.plan_id} round announced {r.announce_date}")  # fmt: skip
                for c in cards:
                    who = people[c.membership_id]
                    table.add_row(
                        str(c.id),
                        mask_name(who[0]),
                        c.condition_code,
                        str(c.age_at_diagnosis),
                        province_name(who[1]) if who[1] else "—",
                        format_yuan(c.payout),
                    )
                out.print(table)
            out.print(round_table([r]))

        with Progress(transient=True) as progress:
            task = progress.add_task("joining members", total=None)
            outcomes = run_demo(
                engine,
                DemoConfig(plan, members, months, seed, first),
                progress=lambda n: progress.advance(task, n),
                on_round=show,
            )
        paid = sum(o.round.figures.collected for o in outcomes)
        out.print(f"{len(outcomes)} rounds; members paid {format_yuan(paid)} yuan in all")
