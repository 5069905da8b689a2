"""Callbacks from payment gateways: public, but every one is signature-checked and logged.

The gateway signs each callback (the sandbox: `Sandbox-Signature`, hex HMAC-SHA256 of the body).
Answers: 200 applied, a duplicate or already settled; 401 bad signature; 404 unknown gateway or
payment; 409 an amount that does not match the instruction; 400 a malformed body.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine

from huzhu import gateways
from huzhu.api.deps import Now
from huzhu.api.problems import ERROR_RESPONSES, problem
from huzhu.services.money import callbacks
from huzhu.settings import Settings

log = logging.getLogger("huzhu.api")
router = APIRouter(prefix="/v1/gateway", tags=["payment gateway"], responses=ERROR_RESPONSES)

_FEN = {"type": "integer", "minimum": 0}
CALLBACK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["event_id", "type", "ref"],
    "properties": {
        "event_id": {"type": "string", "minLength": 1, "maxLength": 100},
        "type": {"type": "string", "enum": ["debit.settled", "payout.paid", "payout.failed"]},
        "ref": {"type": "string", "minLength": 1, "maxLength": 100},
        "total": _FEN,
        "collected": _FEN,
        "amount": _FEN,
        "reason": {"type": ["string", "null"]},
        "failed": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["membership_id", "amount"],
                "properties": {
                    "membership_id": _FEN,
                    "amount": _FEN,
                    "reason": {"type": "string"},
                },
            },
        },
    },
    "examples": [
        {
            "event_id": "evt-20260310-0001",
            "type": "debit.settled",
            "ref": "xiang-hu-bao-20260307",
            "total": 1_250_000,
            "collected": 1_249_460,
            "failed": [{"membership_id": 42, "amount": 540, "reason": "insufficient funds"}],
        },
    ],
}


class CallbackOut(BaseModel):
    outcome: str
    detail: str = ""


@router.post(
    "/{name}/callbacks",
    response_model=CallbackOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CALLBACK_SCHEMA}},
        }
    },
)
async def callback(
    name: Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z0-9-]+$")],
    request: Request,
    now: Now,
) -> JSONResponse:
    """A gateway reports what happened to a debit batch or a payout (signed; idempotent)."""
    engine: Engine = request.app.state.engine
    body = await request.body()
    if name not in gateways.GATEWAYS:
        result = await run_in_threadpool(callbacks.unknown_gateway, engine, name, body, now)
    else:
        gateway = gateways.factory(name, request.app.state.settings)(engine)
        signature = request.headers.get(gateway.signature_header)
        result = await run_in_threadpool(callbacks.handle, engine, gateway, body, signature, now)
    if result.status >= 400:
        return problem(result.status, result.outcome, result.detail or result.outcome)
    out = CallbackOut(outcome=result.outcome, detail=result.detail)
    return JSONResponse(out.model_dump(), status_code=result.status)


def pump_loop(
    engine: Engine, settings: Settings, stop: threading.Event, every_s: float = 5.0
) -> None:
    """`huzhu serve`: deliver the sandbox gateway's callbacks in the background."""
    config = gateways.SandboxConfig.from_settings(settings)
    while not stop.wait(every_s):
        try:
            callbacks.pump_sandbox(engine, datetime.now(UTC), config)
        except Exception:  # keep pumping; the next pass retries
            log.exception("sandbox gateway pump failed")
