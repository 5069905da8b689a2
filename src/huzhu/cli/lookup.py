"""`huzhu members find` and `huzhu members show`: look a member up without opening the database.

Each lookup is made as an account (`--by USERNAME`, an operator, reviewer or auditor) and written
to the audit log (`huzhu.services.members.lookup`).
"""

from __future__ import annotations

import typer
from rich.table import Table

from huzhu.cli.context import STATE, out, print_json, report_errors
from huzhu.domain.plan_fields import CHINA_TZ
from huzhu.services.members.lookup import (
    MemberQuery,
    find_members,
    principal_for_username,
    show_member,
)
from huzhu.storage.repositories.members.lookup import MemberRecord

BY = typer.Option(
    ..., "--by", metavar="USERNAME", help="Your account (operator, reviewer or auditor)."
)


def _when(record: MemberRecord) -> str:
    return record.joined_at.astimezone(CHINA_TZ).date().isoformat()


def find(
    id_number: str | None = typer.Option(None, metavar="ID", help="Identity document number."),
    name: str | None = typer.Option(None, metavar="NAME", help="Full name, exactly."),
    membership: int | None = typer.Option(None, metavar="ID", help="Membership id."),
    plan: str | None = typer.Option(None, metavar="PLAN", help="Only this plan."),
    id_type: str = typer.Option("resident-id", metavar="TYPE", help="Document type."),
    by: str = BY,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Find members by ID number, name or membership id (the lookup is audited)."""
    query = MemberQuery(id_number, id_type, name, membership, plan)
    with STATE.uow() as uow:
        found = find_members(uow, principal_for_username(uow, by), query, STATE.now())
        uow.commit()
    if as_json:
        print_json([r.__dict__ for r in found])
        return
    table = Table("membership", "plan", "status", "joined", "name", "document", "born", "person")
    for r in found:
        table.add_row(
            str(r.membership_id), r.plan_id, r.lifecycle, _when(r), r.name,
            f"{r.id_type} {r.id_number}", r.birth_date.isoformat(), str(r.person_id),
        )  # fmt: skip
    out.print(table)
    out.print(f"{len(found)} membership(s) found; this lookup is in the audit log")


def show(
    membership: int = typer.Argument(..., metavar="MEMBERSHIP", help="Membership id."),
    by: str = BY,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """One membership and the person who holds it (the lookup is audited)."""
    with STATE.uow() as uow:
        r = show_member(uow, principal_for_username(uow, by), membership, STATE.now())
        uow.commit()
    if as_json:
        print_json(r.__dict__)
        return
    left = (
        f", left {r.left_at.isoformat(timespec='seconds')} ({r.leave_reason})" if r.left_at else ""
    )
    lines = [
        f"membership {r.membership_id} of {r.plan_id} (rules v{r.plan_version}): {r.lifecycle}",
        f"  joined {r.joined_at.astimezone(CHINA_TZ).isoformat(timespec='seconds')}{left}",
        f"  person {r.person_id}: {r.name}, {r.id_type} {r.id_number}, born {r.birth_date}, "
        f"sex {r.sex}, province {r.province_code or '—'}",
        f"  phone {r.phone or '—'}, e-mail {r.email or '—'}"
        + (f", guardian person {r.guardian_id}" if r.guardian_id else ""),
        f"  statement: huzhu statement --membership {r.membership_id}",
    ]
    for line in lines:
        out.print(line, markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(report_errors(find))
    app.command()(report_errors(show))
