"""`huzhu plans ...`: the rules of each plan and their history."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from huzhu import gateways
from huzhu.cli.context import STATE, out, print_json, report_errors
from huzhu.domain import lifecycle
from huzhu.domain.errors import InvalidInput
from huzhu.domain.money import format_yuan
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plans import NOT_INSURANCE_EN, Plan
from huzhu.plans.loader import load_plan_file
from huzhu.services.plans import promotions, shutdown
from huzhu.services.plans.service import publish as publish_plan

app = typer.Typer(help="Plans and their rules.", no_args_is_help=True)
NOTICE = NOT_INSURANCE_EN
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


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{option} must be a date like 2022-01-28", field=option) from None


@app.command("close")
@report_errors
def close_cmd(
    plan_id: str,
    notice_date: str = typer.Option(..., "--notice-date", help="No joins and no sharing from."),
    end_date: str = typer.Option(
        ..., "--end-date", help="The last day of cover is the day before."
    ),
    refund_past_shares: bool = typer.Option(
        False, "--refund-past-shares", help="The operator also pays back every share paid."
    ),
) -> None:
    """Close a plan: members share nothing from the notice date (the operator pays the remaining
    rounds), claims for illness diagnosed before the end date are taken for 180 days after it,
    and prepaid balances are refunded through the gateway."""
    notice, end = _day(notice_date, "--notice-date"), _day(end_date, "--end-date")
    with STATE.uow() as uow:
        gateway = gateways.factory()(uow.conn)
        done = shutdown.close_plan(
            uow, gateway, plan_id, notice, end, STATE.now(), refund_past_shares=refund_past_shares
        )
        uow.commit()
    dates = lifecycle.ClosingDates(notice, end)
    out.print(
        f"{plan_id} closes: no joins and no shares from {notice}; cover ends {end}; claims "
        f"until {dates.last_claim_day}"
    )
    _print_refunds(plan_id, done.refunds, dates.refund_due)


def _print_refunds(plan_id: str, refunds: shutdown.Refunds | None, due: date) -> None:
    if refunds is None:
        out.print(f"refunds are due by {due}: run `huzhu plans refund {plan_id}` from the notice")
    elif refunds.already_done:
        out.print(f"refunds were already sent; {refunds.resent:,} failed transfer(s) sent again")
    else:
        out.print(
            f"refunds sent to {refunds.members:,} member(s): balances "
            f"{format_yuan(refunds.balances)} yuan, past shares {format_yuan(refunds.past_shares)} "
            "yuan (paid by the operator)"
        )


@app.command("refund")
@report_errors
def refund_cmd(plan_id: str) -> None:
    """Send a closed plan's refunds through the gateway (once; from its notice date)."""
    with STATE.uow() as uow:
        gateway = gateways.factory()(uow.conn)
        refunds = shutdown.refund_members(uow, gateway, plan_id, STATE.now())
        uow.commit()
    _print_refunds(plan_id, refunds, STATE.now().date())


@app.command("promote")
@report_errors
def promote_cmd(
    plan_id: str,
    first: str = typer.Option(..., "--from", help="The first announcement date it pays."),
    last: str = typer.Option(..., "--to", help="The last announcement date it pays."),
    note: str = typer.Option("", help="Why (shown in the public log)."),
) -> None:
    """Mark the rounds announced in a period as paid by the operator: members are charged 0."""
    start, end = _day(first, "--from"), _day(last, "--to")
    with STATE.uow() as uow:
        promotions.mark_operator_paid(uow, plan_id, start, end, STATE.now(), note=note)
        uow.commit()
    out.print(f"{plan_id}: rounds announced {start} to {end} are paid by the operator")
