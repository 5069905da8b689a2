"""`huzhu join`, `huzhu leave` and `huzhu members ...`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from huzhu import gateways
from huzhu.cli.context import STATE, err, out, print_json, report_errors
from huzhu.cli.progress import progress_bars
from huzhu.domain.errors import InvalidInput
from huzhu.domain.identity import mask_id_number
from huzhu.domain.members import LeaveReason
from huzhu.domain.plan_fields import local_date
from huzhu.services.members import identity, successor
from huzhu.services.members import service as svc
from huzhu.services.members.importer import import_csv

app = typer.Typer(help="Members: find and show, bulk import, age-out.", no_args_is_help=True)


def _answers(
    pairs: list[str], declare_healthy: bool, plan_questions: list[tuple[str, bool]]
) -> dict[str, bool]:
    answers: dict[str, bool] = {}
    if declare_healthy:
        answers.update(dict(plan_questions))
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or value.lower() not in ("yes", "no"):
            raise InvalidInput(
                f"--answer {pair!r}: write QUESTION=yes or QUESTION=no", field="answer"
            )
        answers[key] = value.lower() == "yes"
    return answers


def register(root: typer.Typer) -> None:
    @root.command()
    @report_errors
    def join(
        plan: str = typer.Option(..., help="Plan id, e.g. xiang-hu-bao."),
        id_number: str = typer.Option(..., help="Resident ID number (or other document number)."),
        name: str = typer.Option(..., help="Full name."),
        id_type: str = typer.Option("resident-id", help="Document type."),
        birth_date: str | None = typer.Option(None, help="YYYY-MM-DD (other documents only)."),
        sex: str | None = typer.Option(None, help="M or F (other documents only)."),
        credit_score: int | None = typer.Option(None, help="Credit score from the provider."),
        phone: str | None = typer.Option(None),
        email: str | None = typer.Option(None),
        province: str | None = typer.Option(None, help="2-digit province code."),
        answer: list[str] = typer.Option([], help="Health declaration: QUESTION=yes|no."),
        declare_healthy: bool = typer.Option(
            False, help="Confirm every statement of the health declaration."
        ),
        guardian_id_number: str | None = typer.Option(None, help="Guardian enrolling a dependant."),
        deposit_key: str | None = typer.Option(
            None, help="Prepaid plans: the key under which the deposit is asked of the gateway."
        ),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Join a plan. Every eligibility rule that fails is listed. A prepaid plan's deposit
        is asked of the payment gateway; cover starts when it arrives."""
        now = STATE.now()
        with STATE.uow() as uow:
            rules = uow.plans.get(plan, local_date(now))
            questions = [(q.id, q.required_answer) for q in rules.eligibility.health_declaration]
            try:
                born = date.fromisoformat(birth_date) if birth_date else None
            except ValueError:
                raise InvalidInput(
                    f"{birth_date!r} is not YYYY-MM-DD", field="birth_date"
                ) from None
            req = svc.JoinRequest(
                plan_id=plan,
                person=svc.PersonDetails(
                    id_number=id_number,
                    name=name,
                    id_type=id_type,
                    birth_date=born,
                    sex=sex,
                    credit_score=credit_score,
                    phone=phone,
                    email=email,
                    province_code=province,
                ),
                health_answers=_answers(answer, declare_healthy, questions),
                guardian_id_number=guardian_id_number,
                deposit_key=deposit_key,
            )
            result = svc.join(uow, req, now, gateway=gateways.factory()(uow.conn))
            uow.commit()
        if as_json:
            print_json(result.__dict__)
            return
        out.print(
            f"joined {result.plan_id} (rules v{result.plan_version}) as membership "
            f"{result.membership_id}; status {result.status.value}; illness covered from "
            f"{result.illness_cover_from}, accidents from {result.accident_cover_from}"
        )

    @root.command()
    @report_errors
    def leave(
        membership: int | None = typer.Option(None, help="Membership id."),
        plan: str | None = typer.Option(None),
        id_number: str | None = typer.Option(None),
        id_type: str = typer.Option("resident-id"),
    ) -> None:
        """Leave a plan in one step."""
        now = STATE.now()
        with STATE.uow() as uow:
            if membership is None:
                if not plan or not id_number:
                    raise InvalidInput(
                        "give --membership, or --plan with --id-number", field="membership"
                    )
                membership = svc.live_membership(uow, plan, id_type, id_number).id
            assert membership is not None
            m = svc.leave(uow, membership, now, LeaveReason.VOLUNTARY)
            uow.commit()
        out.print(f"membership {m.id} of {m.plan_id} ended at {now.isoformat(timespec='seconds')}")


@app.command("import")
@report_errors
def import_cmd(
    path: Path,
    plan: str = typer.Option(..., help="Plan every row joins."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Bulk join from CSV. Bad rows are reported and never stop the good ones."""
    with progress_bars() as progress:
        report = import_csv(STATE.engine(), path, plan, STATE.now(), progress=progress)
    if as_json:
        print_json(
            {
                "imported": report.imported,
                "rejected": report.rejected,
                "reasons": report.reason_counts(),
                "rows": [r.__dict__ for r in report.rows if not r.ok],
            }
        )
    else:
        table = Table("line", "result", "reason")
        for row in report.rows:
            if not row.ok:
                table.add_row(str(row.line), "rejected", f"{row.code}: {row.message}")
        if report.rejected:
            out.print(table)
        out.print(f"imported {report.imported:,}, rejected {report.rejected:,}")
        for code, count in sorted(report.reason_counts().items()):
            out.print(f"  {code}: {count:,}")
    if report.imported == 0:
        err.print("no row was imported")
        raise typer.Exit(1)


@app.command("age-out")
@report_errors
def age_out(plan: str = typer.Option(...)) -> None:
    """Members who reached the plan's exit age leave (reason age-out)."""
    now = STATE.now()
    with STATE.uow() as uow:
        uow.plans.get(plan)
        n = successor.age_out(uow, plan, local_date(now), now)
        uow.commit()
    out.print(f"{n} member(s) of {plan} left at the exit age")


@app.command("offer")
@report_errors
def offer(
    membership: int = typer.Option(..., help="The membership that aged out."),
    accept: bool = typer.Option(False, help="Accept the offer: join the successor plan."),
    answer: list[str] = typer.Option([], help="Health declaration: QUESTION=yes|no."),
    declare_healthy: bool = typer.Option(
        False, help="Confirm every statement of the successor's health declaration."
    ),
) -> None:
    """Show the plan offered to a member who aged out, or accept it (the normal join rules)."""
    now = STATE.now()
    with STATE.uow() as uow:
        found = successor.offer_of(uow, membership)
        if found is None:
            err.print(f"membership {membership} has no plan offer")
            raise typer.Exit(1)
        if accept:
            rules = uow.plans.get(found.successor_plan, local_date(now))
            questions = [(q.id, q.required_answer) for q in rules.eligibility.health_declaration]
            answers = _answers(answer, declare_healthy, questions)
            gateway = gateways.factory()(uow.conn)
            joined = successor.accept(uow, membership, answers, now, gateway=gateway)
            uow.commit()
            out.print(f"joined {joined.plan_id} as membership {joined.membership_id}")
            return
    out.print(
        f"membership {membership}: {found.successor_plan} offered on "
        f"{local_date(found.offered_at).isoformat()}; {found.state.value}"
        + (f" (membership {found.joined_membership_id})" if found.joined_membership_id else "")
    )


@app.command("identity-checks")
@report_errors
def identity_checks(
    state: str = typer.Option("pending", help="pending, confirmed or refused."),
) -> None:
    """Identities given by an account while their ID number was already on file."""
    with STATE.uow() as uow:
        checks = uow.identity_checks.queue(state)
        table = Table("check", "kind", "account", "name given", "person on file", "since")
        for c in checks:
            on_file = uow.people.get(c.person_id)
            table.add_row(
                str(c.id), c.kind, str(c.account_id), c.name,
                f"{on_file.id} {on_file.name} ({mask_id_number(on_file.id_number)})",
                c.created_at.isoformat(timespec="seconds"),
            )  # fmt: skip
    out.print(table)
    out.print(f"{len(checks)} {state} identity check(s)")


@app.command("resolve-identity")
@report_errors
def resolve_identity(
    check: int,
    confirm: bool = typer.Option(
        ..., "--confirm/--refuse", help="After a real-name check: link the identity, or refuse."
    ),
) -> None:
    """Decide an identity check: the account is told in its inbox."""
    with STATE.uow() as uow:
        done = identity.resolve(uow, check, confirm, None, STATE.now())
        uow.commit()
    out.print(f"identity check {done.id} {done.state}")
