"""`huzhu verify` and `huzhu record ...`: the tamper-evident public record from the command line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer

from huzhu.cli.context import STATE, err, out, print_json, report_errors
from huzhu.cli.ledger import show_report
from huzhu.cli.progress import progress_bars
from huzhu.domain.errors import InvalidInput, NotFound
from huzhu.domain.merkle import Proof, check_proof
from huzhu.gateways.tsa import request_token
from huzhu.services.record import notary
from huzhu.services.record.merkle_proofs import prove, publish_round_proofs
from huzhu.services.record.public_record import chain_head, snapshot_engine
from huzhu.services.record.verify import verify as verify_record
from huzhu.storage.uow import UnitOfWork

record_app = typer.Typer(
    help="The public record: Merkle roots of rounds, inclusion proofs, the chain head and its "
    "time-stamps.",
    no_args_is_help=True,
)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date (YYYY-MM-DD)", field="date") from None


def _round_id(uow: UnitOfWork, plan: str, on: str) -> int:
    record = uow.rounds.for_period(plan, _date(on))
    if record is None:
        raise NotFound(f"no round of {plan} on {on}", code="unknown-round", field="date")
    return record.id


def _check_proof_file(path: Path) -> None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise InvalidInput(f"cannot read {path}: {e.strerror}", field="proof") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise InvalidInput(f"{path} is not JSON: {e}", field="proof") from None
    problem = check_proof(data)
    if problem is not None:
        err.print(f"proof FAILED: {problem}", markup=False, highlight=False)
        raise typer.Exit(1)
    p = Proof.from_dict(data)
    where = ""
    if p.context.get("plan"):
        where = f" ({p.context['plan']} {p.context.get('announce_date', '')})".rstrip()
    out.print(
        f"proof ok: membership {p.membership_id} was charged {p.amount} fen in round "
        f"{p.round_id}{where}, leaf {p.index} of {p.leaves} under root {p.root}",
        markup=False,
        highlight=False,
    )
    seq = p.context.get("log_seq")
    if seq is not None:
        out.print(
            f"check that log entry seq {seq} (round-merkle-root) publishes this root, and that "
            "the chain head you hold covers it",
            markup=False,
            highlight=False,
        )


def register(root: typer.Typer) -> None:
    root.add_typer(record_app, name="record")

    @root.command()
    @report_errors
    def verify(
        proof: Path | None = typer.Option(
            None,
            "--proof",
            help="Check one inclusion proof (a JSON file) offline; no database is needed.",
        ),
        merkle: bool = typer.Option(
            True, "--merkle/--no-merkle", help="Recompute every published Merkle root."
        ),
    ) -> None:
        """Check the public record: the hash chain, the live rows it speaks for, Merkle roots."""
        if proof is not None:
            _check_proof_file(proof)
            return
        roots = notary.load_roots(STATE.settings.tsa_ca_file)
        with UnitOfWork(snapshot_engine(STATE.engine())) as uow:
            report = verify_record(uow, merkle=merkle, tsa_roots=roots)
        show_report(report, note_prefix="note: ")
        seq, digest = report.head
        out.print(f"{report.entries} log entries; chain head: seq {seq} digest {digest}")
        if not report.ok:
            err.print("verify failed")
            raise typer.Exit(1)
        out.print("verify passed")


@record_app.command("publish-proofs")
@report_errors
def publish_proofs(
    plan: str = typer.Option(...),
    on: str = typer.Option(..., "--date", help="The round's announcement date."),
) -> None:
    """Compute a charged round's Merkle root over its charges and append it to the log."""
    now = STATE.now()
    with STATE.uow() as uow, progress_bars() as progress:
        result = publish_round_proofs(uow, _round_id(uow, plan, on), now, progress=progress)
        head = chain_head(uow)
        uow.commit()
    if not result.created:
        out.print(f"round {plan} {on} already has its Merkle root; nothing changed")
    out.print(
        f"round {plan} {on}: {result.leaves:,} charges in {result.chunks:,} chunks, "
        f"Merkle root {result.root} (log seq {result.log_seq})",
        highlight=False,
    )
    out.print(f"chain head: seq {head[0]} digest {head[1]}", highlight=False)


@record_app.command("prove")
@report_errors
def prove_charge(
    plan: str = typer.Option(...),
    on: str = typer.Option(..., "--date", help="The round's announcement date."),
    membership: int = typer.Option(...),
    output: Path | None = typer.Option(None, "--out", help="Write the proof here, not stdout."),
) -> None:
    """An inclusion proof of one member's charge, to check offline with `huzhu verify --proof`."""
    with STATE.uow() as uow:
        proof = prove(uow, _round_id(uow, plan, on), membership)
    if output is None:
        print_json(proof.to_dict())
        return
    output.write_text(json.dumps(proof.to_dict(), ensure_ascii=False, indent=2) + "\n", "utf-8")
    out.print(f"proof written to {output}", highlight=False)


@record_app.command("timestamp")
@report_errors
def timestamp() -> None:
    """Have the time-stamping authority (HUZHU_TSA_URL) sign the chain head; keep its token."""
    settings = STATE.settings
    with STATE.uow() as uow:
        stamped = notary.timestamp(
            uow, settings.tsa_url, request_token, STATE.now(), settings.tsa_timeout_s
        )
        uow.commit()
    out.print(
        f"chain head seq {stamped.seq} digest {stamped.digest} time-stamped at "
        f"{stamped.gen_time.isoformat()} (token {stamped.id})",
        highlight=False,
    )


@record_app.command("head")
@report_errors
def head(as_json: bool = typer.Option(False, "--json")) -> None:
    """The chain head (seq and digest): publish it so the operator is held to the whole log."""
    with STATE.uow() as uow:
        seq, digest = chain_head(uow)
    if as_json:
        print_json({"seq": seq, "digest": digest})
    else:
        out.print(f"chain head: seq {seq} digest {digest}", highlight=False)
