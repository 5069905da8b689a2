"""`huzhu topup`, `huzhu statement`, `huzhu balances` and `huzhu audit`."""

from __future__ import annotations

import typer
from rich.table import Table

from huzhu.cli.context import STATE, err, out, parse_moment, print_json, report_errors
from huzhu.domain.ledger import DEBIT_NORMAL, AccountKind
from huzhu.domain.money import format_yuan, parse_yuan
from huzhu.services.audit import audit as run_audit
from huzhu.services.ledger import top_up
from huzhu.services.statement import statement as member_statement


def register(root: typer.Typer) -> None:
    @root.command()
    @report_errors
    def topup(
        membership: int = typer.Option(...),
        amount: str = typer.Option(..., help="Yuan, e.g. 10 or 9.50."),
        key: str = typer.Option(..., help="Idempotency key: the same key never credits twice."),
    ) -> None:
        """Credit a member's prepaid balance."""
        fen = parse_yuan(amount)
        with STATE.uow() as uow:
            txn = top_up(uow, membership, fen, key, STATE.now())
            uow.commit()
        out.print(f"credited {format_yuan(fen)} yuan to membership {membership} (txn {txn})")

    @root.command()
    @report_errors
    def statement(
        membership: int = typer.Option(...), as_json: bool = typer.Option(False, "--json")
    ) -> None:
        """What a member has paid, round by round, and how many people they helped."""
        with STATE.uow() as uow:
            s = member_statement(uow, membership, STATE.now())
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
                }
            )
            return
        out.print(
            f"membership {membership} of {s.membership.plan_id}: {s.status.value}; "
            f"paid {format_yuan(s.total_paid)} yuan in total, helped {s.people_helped:,} people"
        )
        for e in events:
            out.print(f"  {e.at.isoformat(timespec='seconds')} {e.to_state.value} ({e.reason})")
        table = Table("round", "charged", "cases")
        for line in s.lines:
            table.add_row(line.announce_date.isoformat(), format_yuan(line.amount), str(line.cases))
        out.print(table)

    @root.command()
    @report_errors
    def balances(plan: str = typer.Option(...), at: str | None = typer.Option(None)) -> None:
        """A plan's ledger accounts, now or at a past moment (ISO 8601)."""
        moment = parse_moment(at, "at") if at else None
        with STATE.uow() as uow:
            uow.plans.get(plan)
            rows = uow.ledger.balances(plan, moment)
        table = Table("account", "balance (yuan)")
        for b in rows:
            sign = 1 if AccountKind(b.kind) in DEBIT_NORMAL else -1
            table.add_row(b.code, format_yuan(sign * b.balance))
        out.print(table)

    @root.command()
    @report_errors
    def audit() -> None:
        """Check every invariant of the books; exits non-zero when one fails."""
        with STATE.uow() as uow:
            report = run_audit(uow)
        for check in report.checks:
            mark = "[green]ok[/green]  " if check.ok else "[red]FAIL[/red]"
            out.print(f"{mark} {check.name}")
            for problem in check.problems[:50]:
                out.print(f"       {problem}", markup=False, highlight=False)
            if len(check.problems) > 50:
                out.print(f"       … and {len(check.problems) - 50} more")
        if not report.ok:
            err.print("audit failed")
            raise typer.Exit(1)
        out.print("audit passed")
