"""`huzhu rounds ...` and `huzhu round quote`."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import typer
from rich.table import Table

from huzhu.cli.context import STATE, out, print_json, report_errors
from huzhu.cli.progress import progress_bars
from huzhu.domain import apportionment
from huzhu.domain.errors import InvalidInput
from huzhu.domain.money import format_yuan, parse_yuan
from huzhu.domain.plan_fields import local_date
from huzhu.plans.loader import load_template
from huzhu.services.record import merkle_proofs, public_record
from huzhu.services.record.archive import archive_rounds
from huzhu.services.rounds.service import due_dates, first_round_day, in_preparation, run_round
from huzhu.storage.repositories.record.archive import ArchiveRepository
from huzhu.storage.repositories.rounds.repository import RoundRecord

app = typer.Typer(help="Apportionment rounds: run, show, list.", no_args_is_help=True)
quote_app = typer.Typer(help="Round arithmetic without a database.", no_args_is_help=True)


def round_table(records: list[RoundRecord]) -> Table:
    table = Table(
        "plan", "announced", "members", "cases", "payouts", "fee", "carry in", "share",
        "collected", "backstop", "surplus",
    )  # fmt: skip
    for r in records:
        f = r.figures
        table.add_row(
            r.plan_id,
            r.announce_date.isoformat(),
            f"{f.members:,}",
            str(f.cases),
            format_yuan(f.payouts),
            format_yuan(f.fee),
            format_yuan(f.carry_in),
            format_yuan(f.share),
            format_yuan(f.collected),
            format_yuan(f.backstop),
            format_yuan(f.surplus),
        )
    return table


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date (YYYY-MM-DD)", field="date") from None


def _dates_due(plan: str, now: datetime) -> list[date]:
    """Every due round not yet run, from the plan's first round day; none in preparation."""
    with STATE.uow() as uow:
        rules = uow.plans.get(plan, local_date(now))
        short = in_preparation(uow, rules)
        if short is not None:
            out.print(
                f"{plan} is in preparation: {short:,} of the {rules.activation_threshold:,} "
                "members it needs have joined, so it runs no rounds yet"
            )
            return []
        last = uow.rounds.recent(plan, limit=1)
        start = last[0].announce_date + timedelta(days=1) if last else first_round_day(uow, plan)
        return due_dates(uow, plan, start, now)


@app.command()
@report_errors
def run(
    plan: str = typer.Option(..., help="Plan id, e.g. xiang-hu-bao."),
    on: str | None = typer.Option(
        None,
        "--date",
        metavar="YYYY-MM-DD",
        help="Announcement date; default: every due round not yet run, from the plan's effective "
        "date here (the later of its effective_from and the day it was installed).",
    ),
    proofs: bool = typer.Option(
        True, help="Publish the Merkle root over members' charges after each round."
    ),
) -> None:
    """Lock the headcount, share the approved payouts and charge every member. Safe to repeat.

    Then publish each round's Merkle root (its own transaction: a round is final without it),
    so every member can get a proof of their charge. A plan in preparation (short of its
    activation threshold) runs no rounds.
    """
    now = STATE.now()
    dates = [_date(on)] if on is not None else _dates_due(plan, now)
    records = []
    with progress_bars() as progress:
        for n, d in enumerate(dates):
            with STATE.uow() as uow:
                outcome = run_round(uow, plan, d, now)
                uow.commit()
            records.append(outcome.round)
            if not outcome.created:
                out.print(f"round {plan} {d} had already run; nothing changed")
            if proofs:
                with STATE.uow() as uow:
                    published = merkle_proofs.publish_round_proofs(
                        uow, outcome.round.id, now, progress=progress
                    )
                    uow.commit()
                out.print(
                    f"round {plan} {d}: Merkle root {published.root} over {published.leaves:,}"
                )
            progress("rounds run", n + 1, len(dates))
    if records:
        out.print(round_table(records))
        with STATE.uow() as uow:
            seq, digest = public_record.chain_head(uow)
        out.print(f"public record head: entry {seq}, digest {digest}")
    else:
        out.print("no round is due")


@app.command()
@report_errors
def show(
    plan: str = typer.Option(...),
    on: str = typer.Option(..., "--date"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A round's published figures, its Merkle root and the head of the public record."""
    with STATE.uow() as uow:
        record = uow.rounds.for_period(plan, _date(on))
        if record is None:
            raise InvalidInput(f"no round of {plan} on {on}", code="unknown-round", field="date")
        seq, digest = public_record.chain_head(uow)
        merkle = uow.merkle_trees.merkle(record.id)
    root = merkle.root if merkle else None
    if as_json:
        print_json(
            {
                "plan": plan,
                "announce_date": on,
                **record.figures.as_dict(),
                "merkle_root": root,
                "chain_head": {"seq": seq, "digest": digest},
            }
        )
    else:
        out.print(round_table([record]))
        out.print(f"Merkle root over members' charges: {root or 'not published yet'}")
        out.print(f"public record head: entry {seq}, digest {digest}")


@app.command("list")
@report_errors
def list_rounds(
    plan: str = typer.Option(..., help="Plan id, e.g. xiang-hu-bao."),
    limit: int = typer.Option(24, metavar="N", help="How many of the latest rounds."),
) -> None:
    """A plan's latest rounds and their published figures, oldest first."""
    with STATE.uow() as uow:
        uow.plans.get(plan)
        records = uow.rounds.recent(plan, limit=limit)
    out.print(round_table(list(reversed(records))))


@app.command()
@report_errors
def archive(
    plan: str = typer.Option(...),
    before: str = typer.Option(..., help="Archive the rounds announced before this date."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Say what would be archived; write nothing."
    ),
) -> None:
    """Move the charges of settled rounds of past years out of member_charges. Safe to repeat.

    On PostgreSQL each round's partition goes, whole, to the huzhu_archive schema, where it can be
    dumped (pg_dump -t) and dropped; on SQLite its rows go to member_charges_archive. Statements,
    proofs, `huzhu audit` and `huzhu verify` read archived rounds from there. A round whose
    collection or payouts are still open is refused, and then nothing is archived.
    """
    with progress_bars() as progress:
        run_ = archive_rounds(
            STATE.engine(), plan, _date(before), STATE.now(), dry_run=dry_run, progress=progress
        )
    table = Table("round", "announced", "charges", "amount", "Merkle root", "archived in", "status")
    for a in run_.rounds:
        status = "already archived"
        if a.created:
            status = "would archive" if dry_run else "archived"
        table.add_row(
            str(a.round_id), a.announce_date.isoformat(), f"{a.rows:,}",
            format_yuan(a.amount), (a.root or "")[:16], a.stored_in or "", status,
        )  # fmt: skip
    if not run_.rounds:
        out.print(f"no round of {plan} was announced before {before}")
        return
    out.print(table)
    new = sum(1 for a in run_.rounds if a.created)
    verb = "would archive" if dry_run else "archived"
    out.print(f"{verb} {new} round(s); {len(run_.rounds) - new} were archived before")


@app.command()
@report_errors
def archived(plan: str = typer.Option(...)) -> None:
    """The archived rounds of a plan: what each holds, and whether its table is still there."""
    with STATE.uow() as uow:
        uow.plans.get(plan)
        repo = ArchiveRepository(uow.conn)
        records = repo.records(plan)
        offline = repo.offline(records)
        rounds_ = [uow.rounds.get(a.round_id) for a in records]
    table = Table("round", "announced", "charges", "amount", "archived at", "table", "state")
    for a, r in zip(records, rounds_, strict=True):
        table.add_row(
            str(a.round_id), str(r.announce_date) if r else "", f"{a.charge_rows:,}",
            format_yuan(a.amount_total), a.archived_at.isoformat(timespec="seconds"),
            a.stored_in or "(no charges)", "dropped" if a.round_id in offline else "",
        )  # fmt: skip
    out.print(table)


@quote_app.command()
@report_errors
def quote(
    plan: str = typer.Option(..., help="Plan template id (its fee and caps apply)."),
    members: int = typer.Option(..., min=0, help="Members at the lock time."),
    payouts: str = typer.Option(..., help="Approved payouts of the period, in yuan."),
    cases: int = typer.Option(1, min=0),
    carry: str = typer.Option("0", help="Surplus carried in from the previous round, in yuan."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Print a round's arithmetic for a headcount and total payouts."""
    rules = load_template(plan)
    payouts_fen = parse_yuan(payouts, field="payouts")
    if cases == 0 and payouts_fen > 0:
        raise InvalidInput("payouts come from cases: give --cases 1 or more", field="cases")
    figures = apportionment.quote(
        members=members,
        payouts=payouts_fen,
        fee_bp=rules.management_fee_bp,
        cases=cases,
        carry_in=parse_yuan(carry, field="carry"),
        per_case_cap=rules.caps.per_case_per_member,
    )
    data = {
        "members": figures.members,
        "payouts": figures.payouts,
        "fee": figures.fee,
        "carry_in": figures.carry_in,
        "share": figures.share,
        "collected": figures.collected,
        "surplus": figures.surplus,
        "backstop": figures.backstop,
    }
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        shown = f"{value:,}" if key == "members" else f"{format_yuan(value)} yuan"
        out.print(f"{key:>10}: {shown}")
