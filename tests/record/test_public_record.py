"""The tamper-evident public record on SQLite and PostgreSQL.

Each test builds the same small history (plan templates and a small plan installed, 40 members, one
claim announced and paid in a round, the round's Merkle root published), shows that `huzhu verify`
passes, then rewrites one stored row behind the application's back (with the append-only triggers
out of the way) and shows that `huzhu verify` exits 1 naming the entry.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, delete, select, text, update
from typer.testing import CliRunner

from helpers import at, install, join_many, join_one, kit_rounds, publish_text
from huzhu.cli.app import app
from huzhu.cli.context import STATE
from huzhu.domain.chain import GENESIS
from huzhu.domain.claims import ClaimState
from huzhu.domain.errors import NotFound
from huzhu.domain.merkle import verify_proof
from huzhu.plans.loader import TEMPLATE_IDS, template_text
from huzhu.services.claims import decisions, submission
from huzhu.services.record import merkle_proofs
from huzhu.services.record.merkle_proofs import prove, publish_round_proofs
from huzhu.services.record.public_record import (
    CASE_ANNOUNCED,
    PLAN_VERSION,
    ROUND_MERKLE_ROOT,
    ROUND_RESULT,
    append,
    chain_head,
)
from huzhu.services.record.verify import verify
from huzhu.services.rounds.service import run_round
from huzhu.storage.tables import claims, member_charges, plan_versions, rounds
from huzhu.storage.tables_record import public_log, round_merkle, round_merkle_chunks
from huzhu.storage.uow import UnitOfWork

runner = CliRunner()
PLAN = "record-small"
ROUND_DAY = "2026-01-11"
MEMBERS = 40


def small_plan(plan_id: str, payout: str) -> str:
    """The Meituan template with one flat payout (test_brief's toy plan)."""
    doc = kit_rounds(template_text("meituan-huzhu"))
    doc = doc.replace('id = "meituan-huzhu"', f'id = "{plan_id}"')
    start, end = doc.index("[payout]"), doc.index("[waiting]")
    band = f'{{ min_age_years = 0, max_age_years = 120, amount = "{payout}" }}'
    return doc[:start] + f'[payout]\nmaximum = "{payout}"\nbands = [{band}]\n\n' + doc[end:]


@dataclass(frozen=True)
class History:
    round_id: int
    claim_id: int
    claimant: int  # membership id


def build_history(engine: Engine, *, publish_proofs: bool = True) -> History:
    install(engine, at("2025-08-01"))
    publish_text(engine, small_plan(PLAN, "1000"), at("2025-08-01"))
    claimant = join_one(engine, PLAN, at("2025-09-01"), n=7, birth=date(1985, 1, 1))
    assert join_many(engine, PLAN, MEMBERS, at("2025-09-01")) == MEMBERS
    with UnitOfWork(engine) as uow:
        claim = submission.submit(
            uow,
            submission.ClaimRequest(
                claimant.membership_id, "CI-01", date(2026, 1, 3), "北京协和医院", ("a.pdf",)
            ),
            at("2026-01-04"),
        )
        assert claim.state is ClaimState.SUBMITTED, claim.reason_text
        decisions.approve(uow, claim.id or 0, "reviewer", at("2026-01-05"))
        # What the claims workflow appends when it announces a case (unless it already has).
        if uow.public_record.latest(CASE_ANNOUNCED, f"claim:{claim.id}") is None:
            append(
                uow,
                CASE_ANNOUNCED,
                f"claim:{claim.id}",
                {
                    "claim_id": claim.id,
                    "name": "吴*漫",
                    "condition_code": "CI-01",
                    "age": claim.age_at_diagnosis,
                    "sex": "F",
                    "province": "11",
                    "payout": claim.payout,
                    "days_since_joining": 124,
                },
                at("2026-01-05"),
            )
        uow.commit()
    with UnitOfWork(engine) as uow:
        outcome = run_round(uow, PLAN, date.fromisoformat(ROUND_DAY), at(ROUND_DAY, 12))
        uow.commit()
    assert outcome.round.figures.collected > 0
    if publish_proofs:
        with UnitOfWork(engine) as uow:
            publish_round_proofs(uow, outcome.round.id, at(ROUND_DAY, 13))
            uow.commit()
    return History(outcome.round.id, claim.id or 0, claimant.membership_id)


def cli(engine: Engine, *args: str) -> Any:
    url = engine.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["--database", url, "--now", at(ROUND_DAY, 14).isoformat(), *args])
    if STATE._engine is not None:
        STATE._engine.dispose()
        STATE._engine = None
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def plain(output: str) -> str:
    return " ".join(output.split())


def seq_of(engine: Engine, kind: str, subject: str) -> int:
    with engine.connect() as conn:
        seq = conn.scalar(
            select(public_log.c.seq)
            .where(public_log.c.kind == kind, public_log.c.subject == subject)
            .order_by(public_log.c.seq.desc())
        )
    assert seq is not None, (kind, subject)
    return int(seq)


@contextmanager
def unlocked(engine: Engine, *tables: str) -> Iterator[Connection]:
    """A connection that may rewrite the append-only `tables` (triggers out of the way)."""
    with engine.begin() as conn:
        for table in tables:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            else:
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
        try:
            yield conn
        finally:
            if conn.dialect.name == "postgresql":
                for table in tables:
                    conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


def assert_verify_passes(engine: Engine) -> str:
    result = cli(engine, "verify")
    assert result.exit_code == 0, result.output
    return plain(result.output)


def assert_verify_fails(engine: Engine, *expected: str) -> str:
    result = cli(engine, "verify")
    output = plain(result.output)
    assert result.exit_code == 1, output
    assert "verify failed" in output
    for piece in expected:
        assert piece in output, f"{piece!r} not in: {output}"
    return output


def test_the_chain_records_plans_rounds_cases_and_merkle_roots_and_verifies(
    engine: Engine,
) -> None:
    h = build_history(engine)
    with UnitOfWork(engine) as uow:
        entries = list(uow.public_record.all_entries())
        head = chain_head(uow)
    kinds = [e.kind for e in entries]
    # the templates and the small plan, then the case, the round and its Merkle root
    assert kinds == [PLAN_VERSION] * (len(TEMPLATE_IDS) + 1) + [
        CASE_ANNOUNCED,
        ROUND_RESULT,
        ROUND_MERKLE_ROOT,
    ]
    assert [e.seq for e in entries] == list(range(1, len(TEMPLATE_IDS) + 5))
    prev = GENESIS
    for e in entries:
        assert e.prev_digest == prev
        prev = e.digest
    last = len(TEMPLATE_IDS) + 4  # the templates, the small plan, the case, round and root
    assert head == (last, prev)
    assert entries[-2].subject == f"round:{h.round_id}"
    assert entries[-2].payload["collected"] > 0
    assert entries[-2].payload["announce_date"] == ROUND_DAY
    output = assert_verify_passes(engine)
    assert f"chain head: seq {last} digest {prev}" in output
    assert "never announced" not in output
    head_json = json.loads(cli(engine, "record", "head", "--json").stdout)
    assert head_json == {"seq": last, "digest": prev}


def test_publishing_proofs_twice_changes_nothing(engine: Engine) -> None:
    h = build_history(engine)
    with UnitOfWork(engine) as uow:
        again = publish_round_proofs(uow, h.round_id, at(ROUND_DAY, 15))
        uow.commit()
    assert not again.created and again.leaves == MEMBERS
    result = cli(engine, "record", "publish-proofs", "--plan", PLAN, "--date", ROUND_DAY)
    assert result.exit_code == 0 and "nothing changed" in plain(result.output)
    with UnitOfWork(engine) as uow:
        assert chain_head(uow)[0] == len(TEMPLATE_IDS) + 4


def test_the_cli_publishes_a_rounds_merkle_root(engine: Engine) -> None:
    build_history(engine, publish_proofs=False)
    result = cli(engine, "record", "publish-proofs", "--plan", PLAN, "--date", ROUND_DAY)
    assert result.exit_code == 0, result.output
    assert f"{MEMBERS} charges in 1 chunks" in plain(result.output)
    assert f"chain head: seq {len(TEMPLATE_IDS) + 4}" in plain(result.output)
    missing = cli(engine, "record", "publish-proofs", "--plan", PLAN, "--date", "2026-01-21")
    assert missing.exit_code == 2 and "no round" in plain(missing.output)


def test_concurrent_appends_form_one_unbroken_chain(engine: Engine) -> None:
    install(engine, at("2025-01-01"))
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for k in range(5):
                with UnitOfWork(engine) as uow:
                    append(
                        uow,
                        "note",  # not a jury result: verify recomputes those from a tally
                        f"claim:{n * 100 + k}",
                        {"n": n, "k": k},
                        at("2025-01-02"),
                    )
                    uow.commit()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with UnitOfWork(engine) as uow:
        report = verify(uow)
        entries = list(uow.public_record.all_entries())
    assert report.ok, [c.problems for c in report.checks]
    assert [e.seq for e in entries] == list(range(1, len(TEMPLATE_IDS) + 30 + 1))


def _update_log(engine: Engine, seq: int, **values: Any) -> None:
    with unlocked(engine, "public_log") as conn:
        conn.execute(update(public_log).where(public_log.c.seq == seq).values(**values))


def _log_payload(engine: Engine, seq: int) -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(conn.scalar(select(public_log.c.payload).where(public_log.c.seq == seq)))


Tamper = Callable[[Engine, History], list[str]]


def tamper_log_payload(engine: Engine, h: History) -> list[str]:
    seq = seq_of(engine, ROUND_RESULT, f"round:{h.round_id}")
    payload = _log_payload(engine, seq)
    _update_log(engine, seq, payload={**payload, "share": payload["share"] - 1})
    return [f"log seq {seq} (round-result round:{h.round_id}): its content or digest has changed"]


def tamper_case_payload(engine: Engine, h: History) -> list[str]:
    seq = seq_of(engine, CASE_ANNOUNCED, f"claim:{h.claim_id}")
    payload = _log_payload(engine, seq)
    _update_log(engine, seq, payload={**payload, "name": "王*明"})
    return [f"log seq {seq} (case-announced claim:{h.claim_id}): its content or digest has changed"]


def tamper_log_digest(engine: Engine, h: History) -> list[str]:
    seq = seq_of(engine, PLAN_VERSION, f"plan:{PLAN}:v1")
    _update_log(engine, seq, digest="ab" * 32)
    return [
        f"log seq {seq} (plan-version plan:{PLAN}:v1): its content or digest has changed",
        f"log seq {seq + 1} (case-announced claim:{h.claim_id}): its prev_digest",
    ]


def tamper_log_subject(engine: Engine, h: History) -> list[str]:
    seq = seq_of(engine, CASE_ANNOUNCED, f"claim:{h.claim_id}")
    _update_log(engine, seq, subject=f"claim:{h.claim_id + 1}")
    return [
        f"log seq {seq} (case-announced claim:{h.claim_id + 1})",
        f"claim:{h.claim_id} was paid in round:{h.round_id} but the log never announced it",
    ]


def tamper_delete_entry(engine: Engine, h: History) -> list[str]:
    seq = seq_of(engine, CASE_ANNOUNCED, f"claim:{h.claim_id}")
    with unlocked(engine, "public_log") as conn:
        conn.execute(delete(public_log).where(public_log.c.seq == seq))
    return [f"log seq {seq + 1} (round-result round:{h.round_id}): seq {seq} before it are missing"]


def tamper_delete_last_entry(engine: Engine, h: History) -> list[str]:
    seq = seq_of(engine, ROUND_MERKLE_ROOT, f"round:{h.round_id}")
    with unlocked(engine, "public_log") as conn:
        conn.execute(delete(public_log).where(public_log.c.seq == seq))
    return [f"the chain head says seq {seq}", f"the last entry is seq {seq - 1}"]


def tamper_round_collected(engine: Engine, h: History) -> list[str]:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE rounds SET collected = collected + 100 WHERE id = :id"), {"id": h.round_id}
        )
    seq = seq_of(engine, ROUND_RESULT, f"round:{h.round_id}")
    return [f"log seq {seq} (round-result round:{h.round_id})", "collected is"]


def tamper_round_share(engine: Engine, h: History) -> list[str]:
    with engine.begin() as conn:
        conn.execute(text("UPDATE rounds SET share = share - 1 WHERE id = :id"), {"id": h.round_id})
        share = conn.scalar(select(rounds.c.share).where(rounds.c.id == h.round_id))
    seq = seq_of(engine, ROUND_RESULT, f"round:{h.round_id}")
    return [
        f"log seq {seq} (round-result round:{h.round_id})",
        f"share is {share + 1} in the log, {share} in the rounds table",
    ]


def tamper_case_payout(engine: Engine, h: History) -> list[str]:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE claims SET payout = payout + 5000 WHERE id = :id"), {"id": h.claim_id}
        )
        payout = conn.scalar(select(claims.c.payout).where(claims.c.id == h.claim_id))
    seq = seq_of(engine, CASE_ANNOUNCED, f"claim:{h.claim_id}")
    return [
        f"log seq {seq} (case-announced claim:{h.claim_id}): payout is {payout - 5000} in the "
        f"log, {payout} in the claims table"
    ]


def tamper_case_condition(engine: Engine, h: History) -> list[str]:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE claims SET condition_code = 'CI-02' WHERE id = :id"), {"id": h.claim_id}
        )
    seq = seq_of(engine, CASE_ANNOUNCED, f"claim:{h.claim_id}")
    return [f"log seq {seq} (case-announced claim:{h.claim_id}): condition_code is CI-01"]


def tamper_plan_document(engine: Engine, h: History) -> list[str]:
    with engine.begin() as conn:
        conn.execute(
            update(plan_versions)
            .where(plan_versions.c.plan_id == PLAN)
            .values(document=plan_versions.c.document + "\n# a quiet edit\n")
        )
    seq = seq_of(engine, PLAN_VERSION, f"plan:{PLAN}:v1")
    return [f"log seq {seq} (plan-version plan:{PLAN}:v1): plan {PLAN} version 1's document"]


def tamper_plan_sha(engine: Engine, h: History) -> list[str]:
    with engine.begin() as conn:
        conn.execute(
            update(plan_versions).where(plan_versions.c.plan_id == PLAN).values(sha256="0" * 64)
        )
    seq = seq_of(engine, PLAN_VERSION, f"plan:{PLAN}:v1")
    return [f"log seq {seq} (plan-version plan:{PLAN}:v1): plan {PLAN} version 1's stored sha256"]


def tamper_member_charge(engine: Engine, h: History) -> list[str]:
    with unlocked(engine, "member_charges") as conn:
        conn.execute(
            update(member_charges)
            .where(
                member_charges.c.round_id == h.round_id,
                member_charges.c.membership_id
                == select(member_charges.c.membership_id)
                .where(member_charges.c.round_id == h.round_id)
                .order_by(member_charges.c.membership_id.desc())
                .limit(1)
                .scalar_subquery(),
            )
            .values(amount=member_charges.c.amount - 1)
        )
    seq = seq_of(engine, ROUND_MERKLE_ROOT, f"round:{h.round_id}")
    return [
        f"log seq {seq} (round-merkle-root round:{h.round_id}): chunk 0",
        "does not match its stored root",
    ]


def tamper_chunk_root(engine: Engine, h: History) -> list[str]:
    with unlocked(engine, "round_merkle_chunks") as conn:
        conn.execute(
            update(round_merkle_chunks)
            .where(round_merkle_chunks.c.round_id == h.round_id)
            .values(root="cd" * 32)
        )
    return [f"(round-merkle-root round:{h.round_id}): chunk 0"]


def tamper_merkle_root(engine: Engine, h: History) -> list[str]:
    with unlocked(engine, "round_merkle") as conn:
        conn.execute(
            update(round_merkle).where(round_merkle.c.round_id == h.round_id).values(root="ef" * 32)
        )
    seq = seq_of(engine, ROUND_MERKLE_ROOT, f"round:{h.round_id}")
    return [f"log seq {seq} (round-merkle-root round:{h.round_id}): the log says root"]


@pytest.mark.parametrize(
    "tamper",
    [
        tamper_log_payload,
        tamper_case_payload,
        tamper_log_digest,
        tamper_log_subject,
        tamper_delete_entry,
        tamper_delete_last_entry,
        tamper_round_collected,
        tamper_round_share,
        tamper_case_payout,
        tamper_case_condition,
        tamper_plan_document,
        tamper_plan_sha,
        tamper_member_charge,
        tamper_chunk_root,
        tamper_merkle_root,
    ],
    ids=lambda f: f.__name__.removeprefix("tamper_"),
)
def test_verify_names_the_entry_when_a_stored_row_changes(engine: Engine, tamper: Tamper) -> None:
    h = build_history(engine)
    assert_verify_passes(engine)
    expected = tamper(engine, h)
    assert_verify_fails(engine, *expected)


def test_the_log_refuses_updates_and_deletes(engine: Engine) -> None:
    install(engine, at("2025-01-01"))
    for statement in (
        update(public_log).where(public_log.c.seq == 1).values(kind="edited"),
        delete(public_log).where(public_log.c.seq == 1),
    ):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(statement)


@pytest.mark.parametrize("chunk_size", [8, 16, 1024])
def test_proofs_from_the_database_verify_offline(
    engine: Engine, chunk_size: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A small chunk size gives this round several chunks (the last one partial) and an upper tree.
    monkeypatch.setattr(merkle_proofs, "CHUNK_SIZE", chunk_size)
    h = build_history(engine)
    with engine.connect() as conn:
        charged = [
            (int(m), int(a))
            for m, a in conn.execute(
                select(member_charges.c.membership_id, member_charges.c.amount)
                .where(member_charges.c.round_id == h.round_id)
                .order_by(member_charges.c.membership_id)
            )
        ]
    assert len(charged) == MEMBERS
    with UnitOfWork(engine) as uow:
        merkle = uow.merkle_trees.merkle(h.round_id)
        assert merkle is not None and merkle.chunk_size == chunk_size
        assert merkle.chunks == -(-MEMBERS // chunk_size)
        proofs = [prove(uow, h.round_id, m) for m, _ in charged]
    for (m, amount), proof in zip(charged, proofs, strict=True):
        assert (proof.membership_id, proof.amount, proof.root) == (m, amount, merkle.root)
        assert verify_proof(proof)
        assert verify_proof(json.loads(json.dumps(proof.to_dict())))
    # Through the command line: a member downloads a proof and checks it with no database.
    member = charged[MEMBERS // 2][0]
    path = tmp_path / "proof.json"
    made = cli(
        engine, "record", "prove", "--plan", PLAN, "--date", ROUND_DAY,
        "--membership", str(member), "--out", str(path),
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    offline = runner.invoke(app, ["--database", "sqlite:////nonexistent/none.db", "verify",
                                  "--proof", str(path)])  # fmt: skip
    assert offline.exit_code == 0, offline.output
    assert f"membership {member} was charged" in plain(offline.output)
    data = json.loads(path.read_text())
    assert data["context"]["log_seq"] == len(TEMPLATE_IDS) + 4
    data["leaf"]["amount"] += 1
    path.write_text(json.dumps(data))
    bad = runner.invoke(app, ["verify", "--proof", str(path)])
    assert bad.exit_code == 1
    assert "proof FAILED" in plain(bad.output)
    path.write_text("{not json")
    assert runner.invoke(app, ["verify", "--proof", str(path)]).exit_code == 2


def test_no_proof_for_a_member_not_charged_or_a_round_not_published(engine: Engine) -> None:
    h = build_history(engine, publish_proofs=False)
    with UnitOfWork(engine) as uow:
        with pytest.raises(NotFound, match="no published Merkle root"):
            prove(uow, h.round_id, h.claimant)
        publish_round_proofs(uow, h.round_id, at(ROUND_DAY, 13))
        # the claimant's cover ended with the payout: no charge, so no proof
        with pytest.raises(NotFound, match="was not charged"):
            prove(uow, h.round_id, h.claimant)
        with pytest.raises(NotFound, match="was not charged"):
            prove(uow, h.round_id, 10**9)
