"""`huzhu record timestamp` and `huzhu verify` with a real (test) time-stamping authority."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from claimkit import build
from sqlalchemy import Engine, text
from tsakit import LocalTsa, running_tsa

from cli.clikit import cli

NOW = "2026-01-10T10:00"


@pytest.fixture(scope="module")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTsa]:
    with running_tsa(tmp_path_factory.mktemp("tsa")) as running:
        yield running


def said(result: object) -> str:
    return " ".join((result.stdout + result.stderr).split())  # type: ignore[attr-defined]


def test_timestamp_then_verify(
    engine: Engine, database_url: str, tsa: LocalTsa, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(engine)
    unset = cli(database_url, "record", "timestamp", now=NOW)
    assert unset.exit_code != 0 and "HUZHU_TSA_URL" in said(unset)
    monkeypatch.setenv("HUZHU_TSA_URL", tsa.url)
    done = cli(database_url, "record", "timestamp", now=NOW)
    assert done.exit_code == 0, said(done)
    assert "time-stamped at" in said(done)
    monkeypatch.setenv("HUZHU_TSA_CA_FILE", str(tsa.ca_file))
    checked = cli(database_url, "verify", "--no-merkle", now=NOW)
    assert checked.exit_code == 0, said(checked)
    assert "every time-stamp token signs the chain head it claims" in said(checked)
    with engine.begin() as conn:
        conn.execute(text("UPDATE timestamp_tokens SET digest = :d"), {"d": "f" * 64})
    failed = cli(database_url, "verify", "--no-merkle", now=NOW)
    assert failed.exit_code == 1 and "verify failed" in said(failed)
    assert "message imprint is not the hash of the chain head it claims" in said(failed)


def test_an_unreadable_ca_file_is_a_clear_refusal(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(engine)
    monkeypatch.setenv("HUZHU_TSA_CA_FILE", str(tmp_path / "missing.pem"))
    result = cli(database_url, "verify", "--no-merkle", now=NOW)
    assert result.exit_code != 0 and "cannot read the TSA CA file" in said(result)
