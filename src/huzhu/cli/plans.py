"""`huzhu plans ...`: the rules of each plan and their history."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from rich.table import Table

from huzhu.cli.context import STATE, out, print_json, report_errors
from huzhu.domain.money import format_yuan
from huzhu.domain.plans import Plan, local_date
from huzhu.plans.loader import load_plan_file
from huzhu.services.plans.service import publish as publish_plan

app = typer.Typer(help="Plans and their rules.", no_args_is_help=True)
NOTICE = "A mutual aid plan is not insurance. The payout is not guaranteed."
NOTICE_SENTENCE = re.compile(r"[^.]*\bnot insurance\b[^.]*\.")


def _age(plan: Plan) -> str:
    e = plan.eligibility
    return f"{e.min_age.describe()} – {e.max_age.describe()}"


@app.command("list")
@report_errors
def list_plans() -> None:
    """Installed plans with their current version and live headcount."""
    now = STATE.now()
    table = Table("id", "name", "version", "ages", "max payout", "fee", "members")
    with STATE.uow() as uow:
        for plan_id in uow.plans.ids():
            plan = uow.plans.get(plan_id, local_date(now))
            table.add_row(
                plan.id,
                plan.names.zh,
                str(plan.version),
                _age(plan),
                format_yuan(plan.payout.maximum),
                f"{plan.management_fee_bp // 100}.{plan.management_fee_bp % 100:02d}%",
                f"{uow.memberships.count_live(plan_id):,}",
            )
    out.print(table)
    out.print(f"[yellow]{NOTICE}[/yellow]")


@app.command()
@report_errors
def show(
    plan_id: str,
    version: int | None = typer.Option(None, help="A past version (default: in force now)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Every rule of a plan, and the dates its versions took effect."""
    with STATE.uow() as uow:
        plan = (
            uow.plans.get_version(plan_id, version)
            if version
            else uow.plans.get(plan_id, local_date(STATE.now()))
        )
        history = uow.plans.history(plan_id)
    if as_json:
        print_json(plan.model_dump(mode="json"))
        return
    out.print(f"[bold]{plan.names.zh}[/bold] / {plan.names.en}  ({plan.id} v{plan.version})")
    if plan.summary:
        # Templates repeat the notice in their summary; it is printed once, below.
        out.print(NOTICE_SENTENCE.sub("", plan.summary.en).strip(), markup=False)
    out.print(f"[yellow]{NOTICE}[/yellow]")
    out.print(f"ages {_age(plan)}; leaves at {plan.eligibility.exit_age_years or '—'}")
    out.print(f"covers: {', '.join(c.value for c in plan.cover.categories)}")
    for band in plan.payout.bands:
        sev = f" {band.severity.value}" if band.severity else ""
        out.print(
            f"  payout {band.min_age_years}–{band.max_age_years}{sev}: {format_yuan(band.amount)}"
        )
    out.print(
        f"waiting: illness {plan.waiting.illness_days} d, accident {plan.waiting.accident_days} d"
    )
    out.print(f"management fee: {plan.management_fee_bp} bp of payouts")
    caps = plan.caps
    if caps.per_case_per_member:
        out.print(f"cap per member per case: {format_yuan(caps.per_case_per_member)}")
    if caps.per_year_per_member:
        out.print(f"cap per member per year: {format_yuan(caps.per_year_per_member)}")
    if plan.activation_threshold:
        out.print(f"takes claims from {plan.activation_threshold:,} members")
    out.print(f"collection: {plan.collection.mode.value}")
    for a in plan.assumptions:
        out.print(f"  assumption: {a}")
    table = Table("version", "effective from", "published", "sha256", "changes")
    for h in history:
        table.add_row(
            str(h.version),
            h.effective_from.isoformat(),
            h.created_at.isoformat(timespec="seconds"),
            h.sha256[:16],
            h.changes or "",
        )
    out.print(table)


@app.command()
@report_errors
def validate(
    path: Path = typer.Argument(..., metavar="FILE", help="A plan file (TOML)."),
) -> None:
    """Check a plan file without installing it; each error names its field."""
    plan = load_plan_file(path)
    out.print(f"{path}: valid plan {plan.id} version {plan.version}")


@app.command("publish")
@report_errors
def publish_cmd(
    path: Path = typer.Argument(..., metavar="FILE", help="A plan file (TOML)."),
    accept_fee_rise: bool = typer.Option(
        False,
        "--accept-fee-rise",
        help="Publish a version that raises the management fee (refused without this).",
    ),
) -> None:
    """Install a plan file: a new plan, or the next version of an installed one (which needs a
    `changes` note; a higher fee needs --accept-fee-rise)."""
    plan = load_plan_file(path)
    with STATE.uow() as uow:
        publish_plan(
            uow,
            path.read_text("utf-8"),
            STATE.now(),
            source=path.name,
            accept_fee_rise=accept_fee_rise,
        )
        uow.commit()
    out.print(f"published {plan.id} version {plan.version}, effective {plan.effective_from}")
