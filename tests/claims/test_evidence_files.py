"""Evidence files: recognised from their bytes, kept by SHA-256 in a store."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from huzhu.domain.errors import HuzhuError, NotFound
from huzhu.services.claims.evidence import MAX_BYTES, check_upload, clean_filename, sniff
from huzhu.settings import load
from huzhu.storage.evidence import LocalEvidenceStore, default_evidence_dir

PDF = b"%PDF-1.7\n..."
JPEG = b"\xff\xd8\xff\xdb..."
PNG = b"\x89PNG\r\n\x1a\n..."


def test_types_come_from_the_bytes() -> None:
    assert (sniff(PDF), sniff(JPEG), sniff(PNG)) == ("application/pdf", "image/jpeg", "image/png")
    assert sniff(b"GIF89a") is None and sniff(b"") is None and sniff(b"<html>") is None
    assert check_upload(PNG, "image/png; charset=binary", "x-ray.PNG") == "image/png"
    assert check_upload(JPEG, "IMAGE/JPEG", "scan.jpeg") == "image/jpeg"


@pytest.mark.parametrize(
    ("data", "claimed", "name", "status", "code"),
    [
        (b"", "application/pdf", None, 400, "evidence-empty"),
        (PDF + b"0" * MAX_BYTES, "application/pdf", None, 413, "evidence-too-large"),
        (b"GIF89a...", "image/gif", None, 415, "unsupported-evidence-type"),
        (b"MZ\x90\x00", "application/pdf", None, 415, "unsupported-evidence-type"),
        (PDF, None, None, 415, "unsupported-evidence-type"),
        (PNG, "application/pdf", None, 415, "evidence-type-mismatch"),
        (PDF, "application/pdf", "report.exe", 415, "evidence-type-mismatch"),
        (JPEG, "image/jpeg", "photo.png", 415, "evidence-type-mismatch"),
    ],
)
def test_refusals(
    data: bytes, claimed: str | None, name: str | None, status: int, code: str
) -> None:
    with pytest.raises(HuzhuError) as refused:
        check_upload(data, claimed, name)
    assert (refused.value.status, refused.value.code) == (status, code)


def test_file_names_are_cleaned() -> None:
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("C:\\scans\\报告 1.pdf") == "报告 1.pdf"
    assert clean_filename("a<b>;c.pdf") == "a_b_c.pdf"
    assert clean_filename("...") is None and clean_filename(None) is None


def test_the_store_keeps_files_by_digest(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path / "ev")
    digest = store.put(PDF)
    assert digest == hashlib.sha256(PDF).hexdigest()
    assert store.put(PDF) == digest and store.get(digest) == PDF and store.exists(digest)
    path = tmp_path / "ev" / digest[:2] / digest
    assert path.stat().st_mode & 0o077 == 0  # readable by the owner only
    path.write_bytes(b"tampered")
    with pytest.raises(RuntimeError, match="does not match"):
        store.get(digest)
    for bad in ("0" * 64, "../../etc/passwd", "AB" * 32):
        assert not store.exists(bad)
        with pytest.raises(NotFound):
            store.get(bad)


def test_where_the_store_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUZHU_EVIDENCE_DIR", raising=False)
    db = tmp_path / "data" / "huzhu.db"
    assert default_evidence_dir(f"sqlite:///{db}") == db.parent.resolve() / "evidence"
    monkeypatch.delenv("HUZHU_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    # A server database keeps no files in the working directory (a source checkout, usually).
    assert default_evidence_dir("postgresql://u@h/db") == tmp_path / "xdg" / "huzhu" / "evidence"
    monkeypatch.setenv("HUZHU_DATA_DIR", str(tmp_path / "data-dir"))
    data = load().data_dir
    assert (
        default_evidence_dir("postgresql://u@h/db", None, data)
        == tmp_path / "data-dir" / "evidence"
    )
    monkeypatch.setenv("HUZHU_EVIDENCE_DIR", str(tmp_path / "elsewhere"))
    explicit = load().evidence_dir
    assert default_evidence_dir(f"sqlite:///{db}", explicit) == tmp_path / "elsewhere"
