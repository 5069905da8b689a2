"""`huzhu topup`, `huzhu statement`, `huzhu balances` and `huzhu audit`."""

from __future__ import annotations

import typer
from rich.table import Table

from huzhu.cli.context import STATE, err, out, parse_moment, print_json, report_errors
from huzhu.domain.ledger import DEBIT_NORMAL, AccountKind
from huzhu.domain.money import format_yuan, parse_yuan
from huzhu.services.audit.service import AuditReport
from huzhu.services.audit.service import audit as run_audit
from huzhu.services.members.balance_moves import BalanceMove
from huzhu.services.members.prepaid import require_prepaid
from huzhu.services.members.statement import statement as member_statement
from huzhu.services.money.ledger import top_up
from huzhu.services.record.verify import VerifyReport

MEMBERSHIP = typer.Option(..., metavar="ID", help="Membership id (see `huzhu members find`).")

# What each account holds, read on its normal side (a positive balance is the usual case).
MEANING = {
    AccountKind.MEMBER_FUNDS: "held for members (negative: members owe the plan)",
    AccountKind.CLAIMS_PAYABLE: "approved payouts not yet paid",
    AccountKind.FEE_INCOME: "management fee earned",
    AccountKind.BACKSTOP: "paid by the operator above the caps",
    AccountKind.SURPLUS_RESERVE: "over-collected, carried to the next round",
    AccountKind.GATEWAY_CLEARING: "confirmed by the gateway, not yet reconciled",
    AccountKind.CASH: "in the plan's custodial bank account",
    AccountKind.OPERATOR_FUNDING: "paid in by the operator so that payouts have the money",
    AccountKind.DORMANCY_FEES: "fees taken from dormant prepaid accounts",
}


def topup(
    membership: int = MEMBERSHIP,
    amount: str = typer.Option(..., metavar="YUAN", help="Yuan, e.g. 10 or 9.50."),
    key: str = typer.Option(
        ..., metavar="KEY", help="Idempotency key: the same key never credits twice."
    ),
) -> None:
    """Credit a member's prepaid balance (prepaid plans only)."""
    fen = parse_yuan(amount)
    with STATE.uow() as uow:
        require_prepaid(uow, membership, STATE.now())
        txn = top_up(uow, membership, fen, key, STATE.now())
        uow.commit()
    out.print(f"credited {format_yuan(fen)} yuan to membership {membership} (txn {txn})")


def statement(
    membership: int = MEMBERSHIP,
    moves_before: int = typer.Option(
        0,
        "--moves-before",
        metavar="ID",
        min=0,
        help="Prepaid plans: the balance moves older than this one (the next page).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output (fen)."),
) -> None:
    """What a member has paid, round by round, and how many people they helped; on a prepaid plan
    also the money into and out of the balance (deposit, top-ups, refunds, dormancy fees)."""
    with STATE.uow() as uow:
        s = member_statement(uow, membership, STATE.now(), moves_before=moves_before)
        events = uow.memberships.events(membership)
    if as_json:
        print_json(
            {
                "membership": membership,
                "plan": s.membership.plan_id,
                "status": s.status.value,
                "plan_version": s.plan_version,
                "balance": s.balance,
                "total_paid": s.total_paid,
                "people_helped": s.people_helped,
                "charges": [line.__dict__ for line in s.lines],
                "operator_paid": [r.__dict__ for r in s.operator_paid],
                "balance_moves": None if s.moves is None else [m.__dict__ for m in s.moves],
                "balance_moves_next": s.moves_next,
            }
        )
        return
    out.print(
        f"membership {membership} of {s.membership.plan_id}: {s.status.value}; "
        f"paid {format_yuan(s.total_paid)} yuan in total, helped {s.people_helped:,} people"
    )
    for e in events:
        out.print(f"  {e.at.isoformat(timespec='seconds')} {e.to_state.value} ({e.reason})")
    table = Table("round", "charged (yuan)", "cases")
    for line in s.lines:
        table.add_row(line.announce_date.isoformat(), format_yuan(line.amount), str(line.cases))
    out.print(table)
    if s.operator_paid:
        paid = Table("round", "paid by the operator (yuan)", "cases", "why")
        for r in s.operator_paid:
            paid.add_row(r.announce_date.isoformat(), format_yuan(r.share), str(r.cases), r.reason)
        out.print(paid)
    if s.moves is not None:
        _print_moves(s.balance, s.moves, s.moves_next)


def _print_moves(balance: int, moves: list[BalanceMove], next_before: int | None) -> None:
    out.print(f"balance {format_yuan(balance)} yuan; its moves, newest first:")
    table = Table("id", "at", "move", "yuan", "reference")
    for m in moves:
        sign = "+" if m.amount > 0 else "-"
        table.add_row(str(m.id), m.at.isoformat(timespec="seconds"), m.kind,
                      f"{sign}{format_yuan(abs(m.amount))}", m.ref or "")  # fmt: skip
    out.print(table)
    if next_before is not None:
        out.print(f"older moves: --moves-before {next_before}")


def balances(
    plan: str = typer.Option(..., metavar="PLAN", help="Plan id, e.g. xiang-hu-bao."),
    at: str | None = typer.Option(
        None, metavar="ISO8601", help="A past moment (default: now), e.g. 2026-06-01T00:00."
    ),
) -> None:
    """A plan's ledger accounts in yuan, each on its normal side, now or at a past moment."""
    moment = parse_moment(at, "at") if at else None
    with STATE.uow() as uow:
        uow.plans.get(plan)
        rows = uow.ledger.balances(plan, moment)
    table = Table("account", "normal side", "balance (yuan)", "what a positive balance means")
    for b in rows:
        kind = AccountKind(b.kind)
        debit = kind in DEBIT_NORMAL
        table.add_row(
            b.code,
            "debit" if debit else "credit",
            format_yuan(b.balance if debit else -b.balance),
            MEANING[kind],
        )
    out.print(table)
    out.print(
        "Each balance is shown on its account's normal side: assets and the backstop (debit "
        "normal) and what is held or owed for members, fees and the reserve (credit normal) are "
        "positive when healthy. A negative figure runs against that side."
    )


def show_report(report: AuditReport | VerifyReport, note_prefix: str = "") -> None:
    """Each check of an audit or verify report, with its problems (the first 50) and notes."""
    for check in report.checks:
        mark = "[green]ok[/green]  " if check.ok else "[red]FAIL[/red]"
        out.print(f"{mark} {check.name}")
        for problem in check.problems[:50]:
            out.print(f"       {problem}", markup=False, highlight=False)
        if len(check.problems) > 50:
            out.print(f"       … and {len(check.problems) - 50} more")
        for note in check.notes:
            out.print(f"       {note_prefix}{note}", markup=False, highlight=False)


def audit() -> None:
    """Check every invariant of the books (amounts in yuan); exits non-zero when one fails.

    Money in gateway-clearing awaiting `huzhu reconcile` is shown as pending, with its age; it
    fails the audit only when it is wrong or overdue (not reconciled within 3 days)."""
    with STATE.uow() as uow:
        report = run_audit(uow, STATE.now())
    show_report(report)
    if not report.ok:
        err.print("audit failed")
        raise typer.Exit(1)
    out.print("audit passed")


def register(root: typer.Typer) -> None:
    for command in (topup, statement, balances, audit):
        root.command()(report_errors(command))
