"""`huzhu claims approve | reject | list`: a reviewer's decisions and the list they work from."""

from __future__ import annotations

import typer
from rich.table import Table

from huzhu.cli.claims.render import show_claim
from huzhu.cli.context import STATE, out, print_json, report_errors
from huzhu.domain.claims import ClaimState
from huzhu.domain.money import format_yuan, parse_yuan
from huzhu.services.claims import decisions
from huzhu.services.claims.payout import PayoutOverride

CLAIM_ID = typer.Argument(..., metavar="CLAIM", help="The claim's id (see `huzhu claims list`).")


def approve(
    claim_id: int = CLAIM_ID,
    by: str = typer.Option(..., metavar="NAME", help="Reviewer's name."),
    announce: bool | None = typer.Option(
        None,
        "--announce/--final",
        help="Announce for objections for the plan's window, or make final at once "
        "(default: the server's setting).",
    ),
    payout: str | None = typer.Option(
        None,
        metavar="YUAN",
        help="Payout in yuan other than the plan's rule (an audited override).",
    ),
    reason: str | None = typer.Option(
        None, metavar="TEXT", help="Why the plan's payout is overridden."
    ),
) -> None:
    """Approve a claim: announced, it becomes final once its objection window closes with no
    objection upheld; final, it is shared in the next round."""
    # The CLI runs with the operator's own access to the database.
    amount = None
    if payout is not None:
        amount = PayoutOverride(parse_yuan(payout, field="payout"), reason, by_operator=True)
    with STATE.uow() as uow:
        claim = decisions.approve(uow, claim_id, by, STATE.now(), announce=announce, payout=amount)
        window = uow.workflow.get(claim_id).window_ends_at
        uow.commit()
    show_claim(claim)
    if claim.state is ClaimState.ANNOUNCED and window is not None:
        out.print(f"  approved and announced: objections until {window.isoformat()}")


def reject(
    claim_id: int = CLAIM_ID,
    by: str = typer.Option(..., metavar="NAME", help="Reviewer's name."),
    reason: str = typer.Option(..., metavar="CODE", help="Reason code, e.g. not-covered."),
    text: str = typer.Option(
        ..., metavar="TEXT", help="Explanation for the member, quoting the rule."
    ),
) -> None:
    """Reject a claim with a reason code and an explanation."""
    with STATE.uow() as uow:
        claim = decisions.reject(uow, claim_id, by, reason, text, STATE.now())
        uow.commit()
    show_claim(claim)


def list_claims(
    plan: str | None = typer.Option(None, metavar="PLAN", help="One plan (default: all)."),
    state: ClaimState | None = typer.Option(None, help="Only claims in this state."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Claims with their state and payout, in id order (at most 1,000)."""
    with STATE.uow() as uow:
        found = uow.claims.list(plan_id=plan, state=state, limit=1000)
    if as_json:
        print_json([c.__dict__ for c in found])
        return
    table = Table("id", "plan", "membership", "condition", "diagnosed", "state", "payout", "reason")
    for c in found:
        table.add_row(
            str(c.id),
            c.plan_id,
            str(c.membership_id),
            c.condition_code,
            c.diagnosis_date.isoformat(),
            c.state.value,
            format_yuan(c.payout) if c.payout is not None else "—",
            c.reason_code or "",
        )
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command()(report_errors(approve))
    app.command()(report_errors(reject))
    app.command("list")(report_errors(list_claims))
