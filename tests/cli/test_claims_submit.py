"""`huzhu claims submit` from the command line."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

import pytest
from clikit import ALICE, BOB, HEALTHY, claim_args, init, join_args, ok, refused, text
from sqlalchemy import Engine, select

from helpers import at
from huzhu.storage.evidence import default_evidence_dir
from huzhu.storage.tables_claims import claim_evidence


def test_a_claim_by_a_non_member_is_refused(engine: Engine, database_url: str) -> None:
    init(database_url)
    ok(database_url, *join_args(ALICE, *HEALTHY))
    later = at("2026-01-04").isoformat()
    refused(engine, database_url, *claim_args(BOB), codes=("not-a-member",), now=later)
    # A member of another plan is not a member of this one either.
    refused(engine, database_url, *claim_args(ALICE, plan="meituan-huzhu"),
            codes=("not-a-member",), now=later)  # fmt: skip
    refused(engine, database_url, *claim_args(ALICE, diagnosed="3 Jan"),
            codes=("invalid-input", "diagnosed"), now=later)  # fmt: skip
    refused(engine, database_url, *claim_args(ALICE, diagnosed="2026-02-01"),
            codes=("diagnosis_date",), now=later)  # fmt: skip


PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"
LATER = at("2026-01-04").isoformat()


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from an empty "source checkout", with the data directory somewhere else."""
    monkeypatch.delenv("HUZHU_EVIDENCE_DIR", raising=False)
    monkeypatch.delenv("HUZHU_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    here = tmp_path / "checkout"
    here.mkdir()
    monkeypatch.chdir(here)
    return here


def stored(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(claim_evidence.c.sha256, claim_evidence.c.filename))
        return [(str(r.sha256), str(r.filename)) for r in rows]


def test_evidence_that_is_not_a_file_is_refused_and_nothing_written(
    engine: Engine, database_url: str, checkout: Path
) -> None:
    init(database_url)
    ok(database_url, *join_args(ALICE, *HEALTHY))
    # Before the fix this stored the text "report.pdf" as the claim's evidence.
    refused(engine, database_url, *claim_args(ALICE), "--evidence", "report.pdf",
            codes=("evidence-not-found", "[evidence]"), now=LATER)  # fmt: skip
    text_file = checkout / "report.pdf"
    text_file.write_text("not a pdf")
    refused(engine, database_url, *claim_args(ALICE), "--evidence", str(text_file),
            codes=("unsupported-evidence-type",), now=LATER)  # fmt: skip
    assert stored(engine) == []


def test_evidence_is_uploaded_as_attach_does_under_the_data_directory(
    engine: Engine, database_url: str, checkout: Path, tmp_path: Path
) -> None:
    init(database_url)
    ok(database_url, *join_args(ALICE, *HEALTHY))
    report = tmp_path / "病理报告.pdf"
    report.write_bytes(PDF)
    submitted = text(
        ok(database_url, *claim_args(ALICE), "--evidence", str(report), now=LATER).stdout
    )
    digest = hashlib.sha256(PDF).hexdigest()
    assert f"evidence 病理报告.pdf stored (application/pdf, sha256 {digest})" in submitted
    assert stored(engine) == [(digest, "病理报告.pdf")]
    assert list(checkout.iterdir()) == []  # nothing lands in the working tree
    store = default_evidence_dir(database_url)
    assert (store / digest[:2] / digest).read_bytes() == PDF
    if database_url.startswith("postgresql"):
        assert store == tmp_path / "xdg" / "huzhu" / "evidence"


def test_the_evidence_directory_beside_a_sqlite_database_is_ignored_by_git() -> None:
    root = Path(__file__).resolve().parents[2]
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "evidence/ab/abcdef"], cwd=root, check=False
    )
    assert ignored.returncode == 0


def test_a_rejected_claim_shows_no_payout(engine: Engine, database_url: str) -> None:
    init(database_url)
    ok(database_url, *join_args(ALICE, *HEALTHY))
    submitted = text(ok(database_url, *claim_args(ALICE), now=LATER).stdout)
    assert "payout 300,000.00 yuan if approved" in submitted
    claim = re.search(r"claim (\d+)", submitted)
    assert claim
    rejected = text(
        ok(database_url, "claims", "reject", claim[1], "--by", "r", "--reason", "not-covered",
           "--text", "not an accident", now=LATER).stdout
    )  # fmt: skip
    assert f"claim {claim[1]}: rejected, no payout" in rejected
    assert "300,000" not in rejected
