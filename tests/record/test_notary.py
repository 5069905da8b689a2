"""Notarisation: evidence hashes in the announcement, and RFC 3161 tokens over the chain head,
obtained from a real (test) time-stamping authority and re-checked by `huzhu verify`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from claimkit import build
from sqlalchemy import Engine, text
from tsakit import LocalTsa, make_ca, running_tsa

from helpers import at
from huzhu.domain.errors import InvalidInput
from huzhu.gateways.tsa import TsaError, request_token
from huzhu.services.claims import decisions
from huzhu.services.claims import evidence as evidence_svc
from huzhu.services.record import notary
from huzhu.services.record.public_record import append
from huzhu.services.record.verify import verify
from huzhu.storage.evidence import LocalEvidenceStore
from huzhu.storage.uow import UnitOfWork

PDF = b"%PDF-1.7\n% a discharge summary\n"
JPEG = b"\xff\xd8\xff\xe0" + b"scan of a pathology report"


@pytest.fixture(scope="module")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTsa]:
    with running_tsa(tmp_path_factory.mktemp("tsa")) as running:
        yield running


def stamp(engine: Engine, tsa: LocalTsa, when: str = "2026-01-10") -> notary.Stamped:
    with UnitOfWork(engine) as uow:
        stamped = notary.timestamp(uow, tsa.url, request_token, at(when))
        uow.commit()
    return stamped


def token_problems(engine: Engine, ca_file: Path) -> list[str]:
    roots = notary.load_roots(ca_file)
    with UnitOfWork(engine) as uow:
        report = verify(uow, merkle=False, tsa_roots=roots)
    [check] = [c for c in report.checks if c.name == notary.TOKENS_CHECK]
    assert all(c.ok for c in report.checks if c is not check)
    return check.problems


def test_each_evidence_files_hash_is_announced_never_the_file(
    engine: Engine, tmp_path: Path
) -> None:
    kit = build(engine)
    claim_id = kit.submit()
    store = LocalEvidenceStore(tmp_path / "ev")
    files = ((PDF, "application/pdf", "summary.pdf"), (JPEG, "image/jpeg", "report.jpg"))
    for data, media, name in files:
        kit.run(
            evidence_svc.upload, store, claim_id, data, media, name, "claimant", at("2026-01-04")
        )
    kit.run(decisions.approve, claim_id, "reviewer", at("2026-01-05"), announce=True)
    [card] = kit.log("case-announced", f"claim:{claim_id}")
    hashes = [store.put(PDF), store.put(JPEG)]
    assert card["evidence_sha256"] == hashes
    assert "discharge" not in str(card) and "summary.pdf" not in str(card)


def test_a_token_over_the_chain_head_verifies(engine: Engine, tsa: LocalTsa) -> None:
    kit = build(engine)  # plan versions and joins: the log is not empty
    stamped = stamp(engine, tsa)
    assert (stamped.seq, stamped.digest) == kit.read(lambda uow: uow.public_record.head())
    with UnitOfWork(engine) as uow:  # the log grows after the token: the token still holds
        append(uow, "note", "test", {"n": 1}, at("2026-01-11"))
        uow.commit()
    stamp(engine, tsa, "2026-01-12")
    assert token_problems(engine, tsa.ca_file) == []


def test_a_tampered_token_fails_verify(engine: Engine, tsa: LocalTsa) -> None:
    build(engine)
    stamped = stamp(engine, tsa)
    with engine.begin() as conn:
        token = bytearray(conn.scalar(text("SELECT token FROM timestamp_tokens")))
        token[-20] ^= 0x01  # inside the RSA signature, the last field of the SignerInfo
        conn.execute(text("UPDATE timestamp_tokens SET token = :t"), {"t": bytes(token)})
    [problem] = token_problems(engine, tsa.ca_file)
    assert f"time-stamp token {stamped.id}" in problem
    assert "signature does not verify against the TSA certificate" in problem


def test_a_token_moved_to_another_chain_head_fails_verify(engine: Engine, tsa: LocalTsa) -> None:
    build(engine)
    stamped = stamp(engine, tsa)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE timestamp_tokens SET seq = seq - 1, digest = :d"), {"d": "0" * 64}
        )
    [problem] = token_problems(engine, tsa.ca_file)
    assert "message imprint is not the hash of the chain head it claims" in problem
    with engine.begin() as conn:  # back on its own head, it holds again
        conn.execute(
            text("UPDATE timestamp_tokens SET seq = :s, digest = :d"),
            {"s": stamped.seq, "d": stamped.digest},
        )
    assert token_problems(engine, tsa.ca_file) == []


def test_a_token_from_another_authority_fails_verify(
    engine: Engine, tsa: LocalTsa, tmp_path: Path
) -> None:
    build(engine)
    stamp(engine, tsa)
    make_ca(tmp_path, "stranger")
    [problem] = token_problems(engine, tmp_path / "stranger.pem")
    assert "does not verify against the TSA certificate" in problem
    with UnitOfWork(engine) as uow:
        [unchecked] = notary.token_problems(uow, [])
    assert "set HUZHU_TSA_CA_FILE" in unchecked


def test_refusals_name_the_setting_and_the_authority(engine: Engine, tsa: LocalTsa) -> None:
    build(engine)
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput) as unset:
        notary.timestamp(uow, None, request_token, at("2026-01-10"))
    assert "HUZHU_TSA_URL" in str(unset.value)
    with UnitOfWork(engine) as uow, pytest.raises(TsaError) as down:
        notary.timestamp(uow, "http://127.0.0.1:9/tsa", request_token, at("2026-01-10"), 2)
    assert down.value.code == "tsa-failed" and "did not answer" in str(down.value)
