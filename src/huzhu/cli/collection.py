"""`huzhu collect`, `huzhu payouts`, `huzhu reconcile` and `huzhu gateway`.

The payment gateway is $HUZHU_GATEWAY (default: the built-in sandbox, configured by
$HUZHU_SANDBOX_GATEWAY_*). The sandbox answers late: run `huzhu gateway pump` (or `huzhu serve`,
which pumps in the background) to receive its callbacks.
"""

from __future__ import annotations

from datetime import date

import typer
from rich.table import Table

from huzhu import gateways
from huzhu.cli.context import STATE, out, report_errors
from huzhu.cli.progress import progress_bars
from huzhu.domain.errors import InvalidInput
from huzhu.domain.money import format_yuan, parse_yuan
from huzhu.domain.plan_fields import CHINA_TZ, local_date
from huzhu.domain.plan_schedule import CollectionMode
from huzhu.services.members import dormancy, prepaid
from huzhu.services.members.statement import statement as member_statement
from huzhu.services.money import callbacks, collection, payouts, reconcile

collect_app = typer.Typer(
    help="Collect a round's charges: debit batches (post-paid) or the balance check (prepaid).",
)
payouts_app = typer.Typer(help="Pay approved claims through the gateway.", no_args_is_help=True)
gateway_app = typer.Typer(
    help="The payment gateway: callbacks and their log.", no_args_is_help=True
)


def _date(text: str, option: str = "date") -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date (YYYY-MM-DD)", field=option) from None


def register(root: typer.Typer) -> None:
    root.add_typer(collect_app, name="collect")
    root.add_typer(payouts_app, name="payouts")
    root.add_typer(gateway_app, name="gateway")

    @root.command("reconcile")
    @report_errors
    def reconcile_day(
        on: str = typer.Option(..., "--date", help="The statement day (Beijing time)."),
    ) -> None:
        """Check the gateway's statement of a day against the books; settle what matches."""
        day = _date(on)
        with STATE.uow() as uow:
            gateway = gateways.factory()(uow.conn)
            report = reconcile.reconcile(uow, gateway, day, STATE.now())
            uow.commit()
        out.print(
            f"{day}: {report.lines} statement lines, {report.matched} match the books, "
            f"{report.settled} settled to cash now, {len(report.issues)} issue(s)"
        )
        for issue in report.issues:
            out.print(f"  - {issue['kind']} {issue['ref']}: {issue['detail']}", markup=False)
        if report.issues:
            raise typer.Exit(1)


@collect_app.callback(invoke_without_command=True)
@report_errors
def collect(
    ctx: typer.Context,
    plan: str | None = typer.Option(None),
    on: str | None = typer.Option(None, "--date", help="The round's announcement date."),
    batch_size: int = typer.Option(collection.DEFAULT_BATCH, min=1, max=collection.MAX_BATCH),
) -> None:
    """Collect a round on or after its collection date. Safe to repeat: it resumes."""
    if ctx.invoked_subcommand is not None:
        return
    if plan is None or on is None:
        raise InvalidInput("give --plan and --date (the round's announcement date)", field="plan")
    announce, now = _date(on), STATE.now()
    with STATE.uow() as uow:
        mode = uow.plans.get(plan, announce).collection.mode
        if mode is CollectionMode.PREPAID:
            check = prepaid.after_round(uow, plan, announce, now)
            uow.commit()
    if mode is CollectionMode.PREPAID:
        again = " (already done: nothing changed)" if check.already_done else ""
        out.print(
            f"prepaid round {plan} {announce}: charges taken from balances; "
            f"{check.reminded} member(s) reminded to top up, {check.suspended} suspended{again}"
        )
        return
    with progress_bars() as progress:
        run = collection.collect(
            STATE.engine(), gateways.factory(), plan, announce, now, batch_size=batch_size,
            progress=progress,
        )  # fmt: skip
    out.print(
        f"round {plan} {announce}: {run.batches} batch(es) sent now, {run.members:,} members, "
        f"{format_yuan(run.amount)} yuan; waived {format_yuan(run.waived)} yuan; "
        + ("every charge is sent" if run.complete else "not finished: run again")
    )


@collect_app.command("retry")
@report_errors
def retry(
    plan: str = typer.Option(...),
    batch_size: int = typer.Option(collection.DEFAULT_BATCH, min=1, max=collection.MAX_BATCH),
) -> None:
    """Today's retry of failed debits; past the plan's retry days, members leave (non-payment)."""
    run = collection.retry(
        STATE.engine(), gateways.factory(), plan, STATE.now(), batch_size=batch_size
    )
    out.print(
        f"{plan} {local_date(STATE.now())}: retried {run.retried_members:,} member(s) in "
        f"{run.batches} batch(es); wrote off {format_yuan(run.written_off)} yuan of "
        f"{run.written_off_members:,} member(s), who left for non-payment"
    )


@collect_app.command("dormancy")
@report_errors
def dormancy_fees(
    plan: str | None = typer.Option(None, help="One plan (default: every plan with the fee)."),
) -> None:
    """Charge this period's dormancy fee to prepaid accounts with no active member, and refund
    the fees of accounts active again. Safe to repeat: a period is charged once."""
    now = STATE.now()
    with STATE.uow() as uow:
        plan_ids = [plan] if plan else dormancy.plans_with_fee(uow, now)
    for plan_id in plan_ids:
        with STATE.uow() as uow:  # one transaction per plan
            run = dormancy.run(uow, plan_id, now)
            uow.commit()
        if not run.period:
            out.print(f"{plan_id}: no dormancy fee in its rules")
            continue
        out.print(
            f"{plan_id} {run.period}: {run.charged} dormant account(s) charged "
            f"{format_yuan(run.fees)} yuan; {run.refunded} fee(s) refunded, "
            f"{format_yuan(run.refunds)} yuan"
        )


@collect_app.command("status")
@report_errors
def status(plan: str = typer.Option(...), on: str = typer.Option(..., "--date")) -> None:
    """A round's batches and failures."""
    with STATE.uow() as uow:
        _, record = collection.round_of(uow, plan, _date(on))
        batches = uow.collection.batches(record.id)
        failures = uow.collection_exceptions.failures(record.id)
        complete = collection.is_complete(uow, record)
    table = Table("batch", "kind", "ref", "members", "amount", "status", "collected", "failed")
    for b in batches:
        table.add_row(
            str(b.batch_no), b.kind, b.gateway_ref, f"{b.items:,}", format_yuan(b.amount),
            b.status, format_yuan(b.collected), f"{b.failed_items:,}",
        )  # fmt: skip
    out.print(table)
    counts: dict[str, int] = {}
    for f in failures:
        counts[f.status] = counts.get(f.status, 0) + 1
    shown = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"
    out.print(f"exceptions: {shown}; every charge sent or waived: {'yes' if complete else 'no'}")


@collect_app.command("topup")
@report_errors
def topup(
    membership: int = typer.Option(...),
    amount: str = typer.Option(..., help="Yuan, e.g. 10 or 9.50."),
    key: str = typer.Option(..., help="Idempotency key: the same key asks only once."),
) -> None:
    """Ask the gateway to take a top-up from the member's account (credited when it settles)."""
    fen = parse_yuan(amount)
    with STATE.uow() as uow:
        prepaid.require_prepaid(uow, membership, STATE.now())
        ref = prepaid.request_top_up(
            uow, gateways.factory()(uow.conn), membership, fen, key, STATE.now()
        )
        uow.commit()
    out.print(f"top-up of {format_yuan(fen)} yuan asked of the gateway as {ref}")


@collect_app.command("notify")
@report_errors
def notify(plan: str = typer.Option(...), on: str = typer.Option(..., "--date")) -> None:
    """Tell each member of a small plan what the round takes and when (inbox, e-mail, SMS)."""
    with STATE.uow() as uow:
        told = collection.notify_due(uow, plan, _date(on), STATE.now())
        uow.commit()
    if told is None:
        out.print(
            f"more than {collection.SMALL_PLAN:,} members: they are told by their statement "
            "and their host app's charge.due webhook"
        )
    else:
        out.print(f"{told:,} member(s) told what round {on} takes and when")


@collect_app.command("notices")
@report_errors
def notices(membership: int = typer.Option(...)) -> None:
    """What a member is told before money moves: each recent charge and when it is taken."""
    with STATE.uow() as uow:
        s = member_statement(uow, membership, STATE.now())
    for line in s.lines:
        state = s.collection.get(line.round_id)
        if state is not None:
            out.print(
                f"round {line.announce_date}: {format_yuan(line.amount)} yuan, {state}",
                markup=False,
            )
    for notice in s.notices:
        out.print(f"notice: {notice}", markup=False)
    out.print(f"balance: {format_yuan(s.balance)} yuan")


@payouts_app.command("run")
@report_errors
def run_payouts(plan: str = typer.Option(...), on: str = typer.Option(..., "--date")) -> None:
    """Pay the round's claims once its collection has settled; resend failed payouts."""
    with STATE.uow() as uow:
        gateway = gateways.factory()(uow.conn)
        result = payouts.run_payouts(uow, gateway, plan, _date(on), STATE.now())
        uow.commit()
    sent = result.submitted + result.retried
    out.print(
        f"round {plan} {on}: {sent} payout(s) sent now ({result.retried} of them resent after a "
        f"failure), awaiting the gateway's answer (`huzhu gateway pump`); {result.paid} paid "
        f"before this run; {result.waiting} sent earlier and still unanswered",
        markup=False,
    )


@gateway_app.command("pump")
@report_errors
def pump() -> None:
    """Receive the sandbox gateway's callbacks that are due now."""
    now = STATE.now()
    accepted = callbacks.pump_sandbox(STATE.engine(), now)
    later, first, delay = callbacks.sandbox_upcoming(STATE.engine(), now)
    out.print(f"{accepted} callback(s) accepted")
    if later:
        due = first.astimezone(CHINA_TZ).isoformat(timespec="seconds") if first else "—"
        out.print(
            f"{later} more not due yet: the sandbox answers {delay} s after each instruction "
            f"($HUZHU_SANDBOX_GATEWAY_DELAY_S); the next is due at "
            f"{due}. Pump again then, or run "
            "`huzhu serve`, which pumps in the background.",
            markup=False,
        )
    elif not accepted:
        out.print("nothing is outstanding at the sandbox gateway")


@gateway_app.command("log")
@report_errors
def event_log(limit: int = typer.Option(50, min=1, max=10_000)) -> None:
    """The latest callbacks received, with what happened to each."""
    with STATE.uow() as uow:
        events = uow.payments.events()[-limit:]
    table = Table("received", "gateway", "type", "ref", "outcome", "detail")
    for e in events:
        table.add_row(
            e.received_at.isoformat(timespec="seconds"), e.gateway, e.type or "", e.ref or "",
            e.outcome, e.detail or "",
        )  # fmt: skip
    out.print(table)
