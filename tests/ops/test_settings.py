"""Settings (issue 15): one model for every HUZHU_* variable, checked at start, documented."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huzhu.cli.app import app as cli
from huzhu.settings import Settings, SettingsError, document_with_table, load, markdown_table

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "huzhu"


def test_defaults_and_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUZHU_SESSION_TTL_MINUTES", "30")
    monkeypatch.setenv("HUZHU_QUICK_JOIN", "0")
    monkeypatch.setenv("HUZHU_WEBHOOK_TIMEOUT_S", "2.5")
    monkeypatch.setenv("HUZHU_SANDBOX_CREDIT_SCORE", "")
    monkeypatch.setenv("HUZHU_SANDBOX_GATEWAY_FAIL_MEMBERS", "3, 5")
    s = load()
    assert s.session_ttl == timedelta(minutes=30)
    assert s.quick_join is False
    assert s.webhook_timeout_s == 2.5
    assert s.sandbox_credit_score is None
    assert s.fail_members == {3, 5}
    assert s.gateway == "sandbox"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HUZHU_SESSION_TTL_MINUTES", "twelve hours"),
        ("HUZHU_JOIN_LIMIT", "lots"),
        ("HUZHU_WEBHOOK_TIMEOUT_S", "-1"),
        ("HUZHU_LOG_FORMAT", "xml"),
        ("HUZHU_QUICK_JOIN", "perhaps"),
        ("HUZHU_SANDBOX_GATEWAY_FAIL_MEMBERS", "1,two"),
    ],
)
def test_a_bad_value_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load()
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")


def test_the_cli_refuses_to_start_on_a_bad_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUZHU_MAX_BODY_BYTES", "big")
    result = CliRunner().invoke(cli, ["--database", "sqlite://", "plans", "list"])
    assert result.exit_code == 2
    assert "HUZHU_MAX_BODY_BYTES" in result.output
    assert "Traceback" not in result.output


def test_the_api_refuses_to_start_on_a_bad_setting(tmp_path: Path) -> None:
    env = {"HUZHU_JOIN_LIMIT": "often", "PATH": "/usr/bin:/bin"}
    code = "from huzhu.api.app import create_app; create_app()"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "HUZHU_JOIN_LIMIT" in done.stderr
    assert "ValidationError" not in done.stderr


def test_nothing_below_the_entry_points_reads_the_environment() -> None:
    readers = [
        path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*.py")
        if "os.environ" in path.read_text(encoding="utf-8") or "getenv" in path.read_text()
    ]
    # `huzhu serve` hands the database URL to its uvicorn workers; `accounts add` reads the
    # password from the variable its option names; the settings module itself reads
    # XDG_DATA_HOME (not a setting of huzhu's, a convention of the user's desktop).
    assert sorted(readers) == ["cli/server.py", "settings.py"]


def test_every_field_is_documented() -> None:
    for name, info in Settings.model_fields.items():
        assert info.description, name


def test_the_operations_table_is_current() -> None:
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert markdown_table() in doc
    assert document_with_table(doc) == doc, "run: python -m huzhu.settings --write"
