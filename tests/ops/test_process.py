"""Process shape (issue 15): `python -m huzhu`, the API built by a factory and not at import,
migrations as a deploy step, and a server that refuses a database behind its migration."""

from __future__ import annotations

import importlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from huzhu.api.app import create_app
from huzhu.cli.app import app as cli
from huzhu.settings import Settings
from huzhu.storage.engine import SchemaBehind, make_engine, schema_is_current


def test_python_m_huzhu_is_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "huzhu", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "migrate" in done.stdout and "serve" in done.stdout


def test_importing_the_asgi_module_builds_nothing() -> None:
    main = importlib.import_module("huzhu.api.main")
    assert "app" not in vars(main)


def test_migrations_are_a_deploy_step(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    with pytest.raises(SchemaBehind, match=r"no huzhu schema.*huzhu migrate"):
        create_app(Settings(database_url=url))
    engine = make_engine(url)
    with engine.connect() as conn:
        assert not engine.dialect.has_table(conn, "plans")  # the server created nothing

    result = CliRunner().invoke(cli, ["--database", url, "migrate"])
    assert result.exit_code == 0, result.output
    assert schema_is_current(engine)
    assert create_app(Settings(database_url=url), deliver_webhooks=False).state.engine

    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0007'"))
    with pytest.raises(SchemaBehind, match="has migration 0007, this huzhu needs"):
        create_app(Settings(database_url=url))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _uvicorn(url: str, port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "HUZHU_DATABASE_URL": url}
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "huzhu.api.app:create_app",
         "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def test_uvicorn_factory_serves_and_refuses_a_database_behind(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    assert CliRunner().invoke(cli, ["--database", url, "init"]).exit_code == 0
    port = _free_port()
    server = _uvicorn(url, port)
    try:
        for _ in range(200):
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.1)
        assert ready.json() == {"status": "ok"}
        plans = httpx.get(f"http://127.0.0.1:{port}/v1/plans", timeout=5)
        assert plans.status_code == 200 and plans.json()["items"]
    finally:
        server.terminate()
        server.wait(timeout=30)

    with make_engine(url).begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0007'"))
    refused = _uvicorn(url, _free_port())
    output, _ = refused.communicate(timeout=60)
    assert refused.returncode != 0
    assert "huzhu migrate" in output
