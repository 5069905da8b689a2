"""`huzhu claims ...` for reviewers and operators: the workflow after submission (assign, documents,
findings, withdraw, reopen, objections, appeals, juries, deadlines, evidence, flags, history)."""

from __future__ import annotations

from pathlib import Path

import typer

from huzhu.cli.claims.render import show_claim
from huzhu.cli.claims.submit import read_evidence
from huzhu.cli.context import STATE, out, print_json, report_errors
from huzhu.domain.errors import NotFound
from huzhu.domain.identity import parse_document
from huzhu.domain.jury import QUESTIONS, Vote
from huzhu.services.claims import evidence as evidence_svc
from huzhu.services.claims import investigation as inv
from huzhu.services.claims import jury as jury_svc
from huzhu.services.claims import objections as obj_svc
from huzhu.services.claims.flags import claim_flags
from huzhu.storage.evidence import local_store
from huzhu.storage.uow import UnitOfWork

BY = typer.Option(..., "--by", help="Who acts (a reviewer's or operator's name).")
ID_NUMBER = typer.Option(..., help="The member's document number.")
ID_TYPE = typer.Option("resident-id")


def person_id(uow: UnitOfWork, id_type: str, id_number: str) -> int:
    doc = parse_document(id_type, id_number)
    person = uow.people.by_document(doc.type.value, doc.number)
    if person is None or person.id is None:
        raise NotFound("nobody with that ID number", code="unknown-person", field="id_number")
    return person.id


def register(app: typer.Typer) -> None:
    @app.command()
    @report_errors
    def assign(claim_id: int, account: int = typer.Option(...), by: str = BY) -> None:
        """Assign a claim to a reviewer's or a third-party investigator's account."""
        with STATE.uow() as uow:
            claim = inv.assign(uow, claim_id, account, by, STATE.now())
            uow.commit()
        show_claim(claim)

    @app.command("request-documents")
    @report_errors
    def request_documents(
        claim_id: int,
        what: str = typer.Option(..., help="The documents needed."),
        days: int | None = typer.Option(None, help="Deadline in days (default: plan rule)."),
        by: str = BY,
    ) -> None:
        """Ask the claimant for documents by a deadline; missing it rejects the claim."""
        with STATE.uow() as uow:
            claim = inv.request_documents(uow, claim_id, what, by, STATE.now(), days=days)
            due = uow.workflow.get(claim_id).documents_due
            uow.commit()
        show_claim(claim)
        out.print(f"  documents due by {due.isoformat() if due else '—'}")

    @app.command()
    @report_errors
    def findings(claim_id: int, text: str = typer.Option(...), by: str = BY) -> None:
        """Record the investigation's findings."""
        with STATE.uow() as uow:
            inv.record_findings(uow, claim_id, text, by, STATE.now())
            uow.commit()
        out.print(f"claim {claim_id}: findings recorded")

    @app.command()
    @report_errors
    def withdraw(claim_id: int, by: str = BY) -> None:
        """Withdraw a claim on the claimant's behalf, before a final decision."""
        with STATE.uow() as uow:
            claim = inv.withdraw(uow, claim_id, by, STATE.now())
            uow.commit()
        show_claim(claim)

    @app.command()
    @report_errors
    def reopen(claim_id: int, reason: str = typer.Option(...), by: str = BY) -> None:
        """Reopen a rejected case: it goes back under investigation."""
        with STATE.uow() as uow:
            claim = inv.reopen(uow, claim_id, by, reason, STATE.now())
            uow.commit()
        show_claim(claim)

    @app.command("object")
    @report_errors
    def object_to(
        claim_id: int,
        reason: str = typer.Option(...),
        id_number: str = ID_NUMBER,
        id_type: str = ID_TYPE,
    ) -> None:
        """Record a member's objection to an announced case, during its window."""
        with STATE.uow() as uow:
            who = person_id(uow, id_type, id_number)
            objection = obj_svc.object_to(uow, claim_id, who, reason, STATE.now())
            uow.commit()
        out.print(f"objection {objection.id} to claim {claim_id}: pending review")

    @app.command("review-objection")
    @report_errors
    def review_objection(
        objection_id: int,
        outcome: obj_svc.Outcome = typer.Option(..., help="uphold or dismiss"),
        explanation: str = typer.Option(...),
        by: str = BY,
    ) -> None:
        """Uphold (the claim is rejected, appealable) or dismiss an objection."""
        with STATE.uow() as uow:
            done = obj_svc.review(uow, objection_id, outcome, explanation, by, STATE.now())
            uow.commit()
        out.print(f"objection {objection_id}: {done.status.value}")

    @app.command()
    @report_errors
    def appeal(claim_id: int, statement: str = typer.Option(...), by: str = BY) -> None:
        """Record the claimant's appeal of a rejection to a jury."""
        with STATE.uow() as uow:
            claim = jury_svc.appeal(uow, claim_id, statement, by, STATE.now())
            uow.commit()
        show_claim(claim)

    @app.command("draw-jury")
    @report_errors
    def draw_jury(
        claim_id: int,
        seed: str | None = typer.Option(None, help="A published seed (default: a random one)."),
        by: str = BY,
    ) -> None:
        """Draw the jury of an appealed claim, reproducibly from the seed."""
        with STATE.uow() as uow:
            jury = jury_svc.draw_jury(uow, claim_id, by, STATE.now(), seed)
            seats = uow.juries.seats(jury.id)
            uow.commit()
        out.print(
            f"jury {jury.id} for claim {claim_id}: seed {jury.seed}, {len(seats)} jurors drawn "
            f"from {jury.eligible_count} eligible (digest {jury.eligible_digest[:16]}…), "
            f"votes until {jury.deadline.isoformat()}"
        )
        out.print(
            "  jurors (person ids, in draw order): " + ", ".join(str(s.person_id) for s in seats)
        )

    @app.command()
    @report_errors
    def vote(
        jury_id: int,
        choice: Vote = typer.Option(..., "--vote", help="overturn or uphold"),
        id_number: str = ID_NUMBER,
        id_type: str = ID_TYPE,
    ) -> None:
        """Record a drawn juror's vote (sealed until the jury closes)."""
        with STATE.uow() as uow:
            jury_svc.vote(uow, jury_id, person_id(uow, id_type, id_number), choice, STATE.now())
            uow.commit()
        out.print(f"jury {jury_id}: vote recorded (sealed until the close)")

    @app.command()
    @report_errors
    def decline(jury_id: int, id_number: str = ID_NUMBER, id_type: str = ID_TYPE) -> None:
        """A juror declines; the next person in the seed's order replaces them."""
        with STATE.uow() as uow:
            who = person_id(uow, id_type, id_number)
            replacement = jury_svc.decline(uow, jury_id, who, STATE.now())
            uow.commit()
        out.print(f"jury {jury_id}: declined; replacement {replacement or 'none left to draw'}")

    @app.command("juror-test")
    @report_errors
    def juror_test(
        answer: list[str] = typer.Option([], help="question=answer (repeatable); none: show it."),
        id_number: str = ID_NUMBER,
        id_type: str = ID_TYPE,
    ) -> None:
        """Show the juror test, or grade a member's answers (a pass is kept)."""
        if not answer:
            for q in QUESTIONS:
                out.print(f"{q.id}: {q.en} {q.zh} — {' | '.join(q.options)}", markup=False)
            return
        answers = dict(a.partition("=")[::2] for a in answer)
        with STATE.uow() as uow:
            who = person_id(uow, id_type, id_number)
            _score, passed = jury_svc.take_test(uow, who, answers, STATE.now())
            uow.commit()
        out.print("passed" if passed else "not passed")  # no score: it would leak answers

    @app.command("close-jury")
    @report_errors
    def close_jury(jury_id: int, by: str = BY) -> None:
        """Unseal and count the votes; the result and the tallies are published."""
        with STATE.uow() as uow:
            jury = jury_svc.close_jury(uow, jury_id, by, STATE.now())
            state = uow.claims.get(jury.claim_id).state.value
            uow.commit()
        result = jury.result.value if jury.result else "—"
        out.print(
            f"jury {jury_id}: {result} ({jury.overturn} to overturn, {jury.uphold} to uphold, "
            f"quorum {jury.quorum}); claim {jury.claim_id} is {state}"
        )

    @app.command()
    @report_errors
    def finalize(plan: str | None = typer.Option(None, help="One plan (default: all).")) -> None:
        """Apply passed deadlines: missed documents reject, closed windows make approvals final."""
        with STATE.uow() as uow:
            expired, final = inv.sweep(uow, plan, STATE.now())
            uow.commit()
        out.print(f"{expired} claim(s) rejected for missing documents, {final} made final")

    @app.command()
    @report_errors
    def attach(claim_id: int, path: Path, by: str = BY) -> None:
        """Attach an evidence file (PDF, JPEG or PNG) to a claim."""
        data, media = read_evidence(path)
        with STATE.uow() as uow:
            store = local_store(
                STATE.engine().url, STATE.settings.evidence_dir, STATE.settings.data_dir
            )
            row, new = evidence_svc.upload(
                uow, store, claim_id, data, media, path.name, by, STATE.now()
            )
            reused = uow.evidence.reused(claim_id).get(row.sha256, [])
            uow.commit()
        status = "attached" if new else "already attached"
        out.print(f"claim {claim_id}: {path.name} {status} ({row.media_type}, sha256 {row.sha256})")
        if reused:
            out.print(f"  [yellow]flag:[/yellow] the same file supports claim(s) {reused}")

    @app.command()
    @report_errors
    def flags(claim_id: int) -> None:
        """Fraud signals for reviewers (flags, never rejections)."""
        with STATE.uow() as uow:
            found = claim_flags(uow, claim_id)
        for f in found:
            out.print(f"{f.code}: {f.message}", markup=False)
        if not found:
            out.print("no flags")

    @app.command()
    @report_errors
    def history(claim_id: int, as_json: bool = typer.Option(False, "--json")) -> None:
        """A claim's deadlines and every step taken on it."""
        with STATE.uow() as uow:
            claim = uow.claims.get(claim_id)
            wf = uow.workflow.get(claim_id)
            events = uow.workflow.events(claim_id)
        if as_json:
            print_json({"claim": claim.__dict__, "workflow": wf.__dict__, "events": events})
            return
        show_claim(claim)
        for label, when in (
            ("documents due", wf.documents_due),
            ("objections until", wf.window_ends_at),
            ("appeal until", wf.appeal_until),
            ("final at", wf.final_at),
        ):
            if when:
                out.print(f"  {label}: {when.isoformat()}")
        for e in events:
            move = f" {e.from_state} -> {e.to_state}" if e.from_state != e.to_state else ""
            out.print(f"  {e.at.isoformat()} {e.action}{move} by {e.actor}", markup=False)
