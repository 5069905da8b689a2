"""The sandbox gateway's HMAC secret (issue 10): never the published `sandbox-secret`. With no
environment variable, each database has its own random secret, made when it is migrated; the
variable overrides it, and a published or short one is refused. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from helpers import at, install
from huzhu.api.app import create_app
from huzhu.api.settings import Settings
from huzhu.domain.errors import InvalidInput
from huzhu.gateways.sandbox import SandboxGateway
from huzhu.storage.engine import make_engine, migrate
from huzhu.storage.tables_access import instance_secrets

NOW = at("2026-01-15", 11)
PUBLISHED = "sandbox-secret"
EVENT = {"event_id": "evt-x", "type": "payout.failed", "ref": "x-p1-a1", "reason": "frozen"}


def hmac_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def stored(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(instance_secrets.c.value)))


@pytest.fixture(autouse=True)
def no_secret_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUZHU_SANDBOX_GATEWAY_SECRET", raising=False)


def test_a_callback_signed_with_the_published_default_is_refused(engine: Engine) -> None:
    install(engine, NOW)
    app = create_app(Settings(), engine)
    app.state.clock = lambda: NOW
    client = TestClient(app, raise_server_exceptions=False)
    body = json.dumps(EVENT).encode()
    headers = {"Content-Type": "application/json"}
    forged = client.post(
        "/v1/gateway/sandbox/callbacks",
        content=body,
        headers={**headers, "Sandbox-Signature": hmac_hex(PUBLISHED, body)},
    )
    assert (forged.status_code, forged.json()["code"]) == (401, "bad-signature")
    [secret] = stored(engine)
    assert len(secret) == 64 and secret != PUBLISHED
    genuine = client.post(
        "/v1/gateway/sandbox/callbacks",
        content=body,
        headers={**headers, "Sandbox-Signature": hmac_hex(secret, body)},
    )
    assert genuine.status_code != 401, genuine.text  # signed right: checked on its merits
    assert SandboxGateway(engine).sign(body) == hmac_hex(secret, body)


def test_each_database_gets_its_own_secret_when_migrated(tmp_path: Path) -> None:
    secrets = []
    for name in ("one", "two"):
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        migrate(engine)
        migrate(engine)  # a second migration keeps it
        secrets.append(stored(engine))
        engine.dispose()
    assert all(len(s) == 1 for s in secrets) and secrets[0] != secrets[1]


def test_a_missing_secret_is_made_on_first_use(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(instance_secrets.delete())
    first = SandboxGateway(engine).secret
    assert len(first) == 64 and stored(engine) == [first]
    assert SandboxGateway(engine).secret == first


def test_the_environment_overrides_it_but_never_with_a_published_or_short_secret(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    strong = "k" * 20 + "-operator-chosen-secret"
    monkeypatch.setenv("HUZHU_SANDBOX_GATEWAY_SECRET", strong)
    assert SandboxGateway(engine).sign(b"{}") == hmac_hex(strong, b"{}")
    for weak in (PUBLISHED, "SANDBOX-SECRET", "short-secret"):
        monkeypatch.setenv("HUZHU_SANDBOX_GATEWAY_SECRET", weak)
        with pytest.raises(InvalidInput) as refused:
            SandboxGateway(engine)
        assert refused.value.code == "weak-secret"
