"""`huzhu claims submit`: a claim and its evidence files, in one transaction.

Each `--evidence FILE` is read and checked as `huzhu claims attach` checks it (PDF, JPEG or PNG by
its bytes, not empty, not too large) before anything is written, then stored in the evidence store
under the data directory, never beside the file it came from.
"""

from __future__ import annotations

import mimetypes
from datetime import date
from pathlib import Path

import typer

from huzhu.cli.claims.render import show_claim
from huzhu.cli.context import STATE, out, report_errors
from huzhu.domain.errors import InvalidInput, NotFound
from huzhu.domain.plan_rules import Cause
from huzhu.services.claims import evidence as evidence_svc
from huzhu.services.claims import submission
from huzhu.services.members.service import live_membership
from huzhu.storage.evidence import local_store


def parse_date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date (YYYY-MM-DD)", field=field) from None


def read_evidence(path: Path) -> tuple[bytes, str | None]:
    """The file's bytes and the type its name claims, checked before the claim is written."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(
            f"no file {path}: --evidence takes a PDF, JPEG or PNG file to upload",
            code="evidence-not-found",
            field="evidence",
        ) from None
    except OSError as e:
        raise InvalidInput(
            f"cannot read {path}: {e.strerror}", code="evidence-unreadable", field="evidence"
        ) from None
    media = mimetypes.guess_type(path.name)[0]
    evidence_svc.check_upload(data, media, path.name)
    return data, media


def submit(
    plan: str = typer.Option(..., metavar="PLAN", help="Plan id, e.g. xiang-hu-bao."),
    id_number: str = typer.Option(..., metavar="ID", help="The claimant's document number."),
    condition: str = typer.Option(
        ..., metavar="CODE", help="Condition code from the catalogue, e.g. CI-01."
    ),
    diagnosed: str = typer.Option(..., metavar="YYYY-MM-DD", help="Diagnosis date."),
    hospital: str = typer.Option(..., metavar="NAME", help="Hospital that diagnosed it."),
    evidence: list[Path] = typer.Option(
        [],
        metavar="FILE",
        help="A PDF, JPEG or PNG file to upload with the claim (repeatable).",
    ),
    grade: int | None = typer.Option(
        None, metavar="1-10", help="Disability grade (accident plans)."
    ),
    id_type: str = typer.Option("resident-id", metavar="TYPE", help="Document type."),
    cause: Cause = typer.Option(Cause.ILLNESS, help="What caused the condition."),
    by: str = typer.Option("claimant", metavar="NAME", help="Who uploads the evidence."),
    id_only: bool = typer.Option(
        False, "--id-only", help="Print only the new claim's id (for scripts: CLAIM=$(...))."
    ),
) -> None:
    """Submit a claim with its evidence. The plan's rules are checked at once; a refusal says
    which rule, and then nothing is written."""
    now = STATE.now()
    files = [(path, *read_evidence(path)) for path in evidence]
    with STATE.uow() as uow:
        membership = live_membership(uow, plan, id_type, id_number)
        assert membership.id is not None
        claim = submission.submit(
            uow,
            submission.ClaimRequest(
                membership_id=membership.id,
                condition_code=condition,
                diagnosis_date=parse_date(diagnosed, "diagnosed"),
                hospital=hospital,
                evidence=tuple(path.name for path, _, _ in files),
                disability_grade=grade,
                cause=cause,
            ),
            now,
        )
        assert claim.id is not None
        store = local_store(
            STATE.engine().url, STATE.settings.evidence_dir, STATE.settings.data_dir
        )
        rows = [
            evidence_svc.upload(uow, store, claim.id, data, media, path.name, by, now)[0]
            for path, data, media in files
        ]
        uow.commit()
    if id_only:
        out.print(str(claim.id))
        return
    show_claim(claim)
    for path, row in zip(evidence, rows, strict=True):
        out.print(f"  evidence {path.name} stored ({row.media_type}, sha256 {row.sha256})")


def register(app: typer.Typer) -> None:
    app.command()(report_errors(submit))
