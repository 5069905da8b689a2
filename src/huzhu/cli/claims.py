"""`huzhu claims ...`: submit, decide and list claims (the workflow's steps: `claim_steps`)."""

from __future__ import annotations

from datetime import date

import typer
from rich.table import Table

from huzhu.cli import claim_steps
from huzhu.cli.context import STATE, out, print_json, report_errors
from huzhu.domain.claims import Claim, ClaimState
from huzhu.domain.errors import InvalidInput
from huzhu.domain.money import format_yuan, parse_yuan
from huzhu.domain.plans import Cause
from huzhu.services import claims as svc
from huzhu.services.members import live_membership

app = typer.Typer(
    help="Claims: submit, investigate, approve or reject, objections, appeals and juries.",
    no_args_is_help=True,
)


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date (YYYY-MM-DD)", field=field) from None


def show_claim(claim: Claim) -> None:
    payout = format_yuan(claim.payout) if claim.payout is not None else "—"
    out.print(f"claim {claim.id}: {claim.state.value}, payout {payout} yuan")
    if claim.reason_code:
        out.print(f"  reason {claim.reason_code}: {claim.reason_text}")


@app.command()
@report_errors
def submit(
    plan: str = typer.Option(...),
    id_number: str = typer.Option(..., help="The claimant's document number."),
    condition: str = typer.Option(..., help="Condition code from the catalogue, e.g. CI-01."),
    diagnosed: str = typer.Option(..., help="Diagnosis date, YYYY-MM-DD."),
    hospital: str = typer.Option(...),
    evidence: list[str] = typer.Option([], help="Evidence references (repeatable)."),
    grade: int | None = typer.Option(None, help="Disability grade 1–10 (accident plans)."),
    id_type: str = typer.Option("resident-id"),
    cause: Cause = typer.Option(Cause.ILLNESS, help="What caused the condition."),
) -> None:
    """Submit a claim. The plan's rules are checked at once; a refusal says which rule."""
    now = STATE.now()
    with STATE.uow() as uow:
        membership = live_membership(uow, plan, id_type, id_number)
        assert membership.id is not None
        claim = svc.submit(
            uow,
            svc.ClaimRequest(
                membership_id=membership.id,
                condition_code=condition,
                diagnosis_date=_date(diagnosed, "diagnosed"),
                hospital=hospital,
                evidence=tuple(evidence),
                disability_grade=grade,
                cause=cause,
            ),
            now,
        )
        uow.commit()
    show_claim(claim)


@app.command()
@report_errors
def approve(
    claim_id: int,
    by: str = typer.Option(..., help="Reviewer's name."),
    announce: bool | None = typer.Option(
        None,
        "--announce/--final",
        help="Announce for objections for the plan's window, or make final at once "
        "(default: the server's setting).",
    ),
    payout: str | None = typer.Option(None, help="Payout in yuan, where the rules give none."),
) -> None:
    """Approve a claim: announced, it becomes final once its objection window closes with no
    objection upheld; final, it is shared in the next round."""
    amount = parse_yuan(payout, field="payout") if payout is not None else None
    with STATE.uow() as uow:
        claim = svc.approve(uow, claim_id, by, STATE.now(), announce=announce, payout=amount)
        window = uow.workflow.get(claim_id).window_ends_at
        uow.commit()
    show_claim(claim)
    if claim.state is ClaimState.ANNOUNCED and window is not None:
        out.print(f"  approved and announced: objections until {window.isoformat()}")


@app.command()
@report_errors
def reject(
    claim_id: int,
    by: str = typer.Option(...),
    reason: str = typer.Option(..., help="Reason code, e.g. not-covered."),
    text: str = typer.Option(..., help="Explanation for the member, quoting the rule."),
) -> None:
    """Reject a claim with a reason code and an explanation."""
    with STATE.uow() as uow:
        claim = svc.reject(uow, claim_id, by, reason, text, STATE.now())
        uow.commit()
    show_claim(claim)


@app.command("list")
@report_errors
def list_claims(
    plan: str | None = typer.Option(None),
    state: ClaimState | None = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
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


claim_steps.register(app)
