"""A callback whose JSON escapes a lone surrogate ("\\ud800"), which no UTF-8 column can hold, is
answered 4xx and logged like every other callback, signed or not (issue 10). SQLite, PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from moneykit import Sandbox
from sqlalchemy import Engine

from helpers import at, install
from huzhu.api.app import create_app
from huzhu.api.settings import Settings
from huzhu.storage.uow import UnitOfWork

NOW = at("2026-01-15", 11)
# What a JSON encoder sends for a lone surrogate: valid JSON, invalid Unicode.
BODIES = [
    b'{"event_id": "\\ud800", "type": "debit.settled", "ref": "pp-1", "total": 1, '
    b'"collected": 1, "failed": []}',
    b'{"event_id": "evt-1", "type": "debit.settled", "ref": "\\udfff\\ud800", "total": 1, '
    b'"collected": 1, "failed": []}',
    b'{"event_id": "evt-2", "type": "payout.failed", "ref": "r", "reason": "\\ud800"}',
]


@pytest.fixture
def client(engine: Engine) -> TestClient:
    install(engine, NOW)
    app = create_app(Settings(), engine)
    app.state.clock = lambda: NOW
    return TestClient(app, raise_server_exceptions=False)


def logged(engine: Engine) -> list[tuple[str, str | None]]:
    with UnitOfWork(engine) as uow:
        return [(e.outcome, e.event_id) for e in uow.payments.events()]


@pytest.mark.parametrize("body", BODIES)
def test_a_lone_surrogate_is_refused_and_logged(
    engine: Engine, client: TestClient, body: bytes
) -> None:
    box = Sandbox(engine)
    for signature, status in ((None, 401), ("0" * 64, 401), (box.gateway.sign(body), 400)):
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["Sandbox-Signature"] = signature
        r = client.post("/v1/gateway/sandbox/callbacks", content=body, headers=headers)
        assert r.status_code == status, r.text
    json_body = {"Content-Type": "application/json"}
    r = client.post("/v1/gateway/paypal/callbacks", content=body, headers=json_body)
    assert r.status_code == 404, r.text
    outcomes = [o for o, _ in logged(engine)]
    assert outcomes == ["bad-signature", "bad-signature", "malformed", "unknown-gateway"]
