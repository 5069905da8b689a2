"""Gateway callbacks: checked, applied once, and every one logged whatever happens to it.

- a bad signature is refused (401); an unknown payment is refused (404); a malformed body (400);
- a duplicate event id is a no-op (200, logged `duplicate`);
- a second or out-of-order settlement of something already settled changes nothing (200);
- an amount that does not match the instruction is refused (409) and recorded as a
  reconciliation issue.

Refusals are logged in a transaction of their own, so the log survives the rollback of the work.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from huzhu import metrics
from huzhu.domain.plan_fields import local_date
from huzhu.gateways.base import DEBIT_SETTLED, PaymentGateway
from huzhu.services.money.callback_checks import CallbackResult, Refused, _loggable, _parse
from huzhu.services.money.callback_settlements import _debit, _payout
from huzhu.storage.uow import UnitOfWork

if TYPE_CHECKING:
    from huzhu.gateways.sandbox_config import SandboxConfig

log = logging.getLogger("huzhu.gateway")


def handle(
    engine: Engine, gateway: PaymentGateway, body: bytes, signature: str | None, now: datetime
) -> CallbackResult:
    """Check, apply and log one callback; the status is what to answer the gateway."""
    result = _handle(engine, gateway, body, signature, now)
    metrics.GATEWAY_CALLBACKS.labels(result.outcome).inc()
    return result


def _handle(
    engine: Engine, gateway: PaymentGateway, body: bytes, signature: str | None, now: datetime
) -> CallbackResult:
    event: dict[str, Any] = {}
    try:
        try:
            event = json.loads(body) if body else {}
        except (UnicodeDecodeError, json.JSONDecodeError):
            event = {}
        event = event if isinstance(event, dict) else {"body": event}
        if not gateway.verify(body, signature or ""):
            raise Refused(401, "bad-signature", "the signature does not match the body")
        event = _parse(body)
        with UnitOfWork(engine) as uow:
            if uow.payments.event_seen(gateway.name, event["event_id"]):
                outcome = "duplicate"
            elif event["type"] == DEBIT_SETTLED:
                outcome = _debit(uow, event, now)
            else:
                outcome = _payout(uow, event, now)
            uow.payments.log_event(gateway.name, event, outcome, "", now)
            uow.commit()
        return CallbackResult(200, outcome)
    except Refused as refused:
        _log_refusal(engine, gateway.name, _loggable(event, body), refused, now)
        return refused.result
    except Exception as exc:  # logged, and a 5xx makes the gateway send it again later
        log.exception("gateway callback failed")
        failure = Refused(500, "error", f"{type(exc).__name__}: {exc}"[:500])
        try:
            _log_refusal(engine, gateway.name, _loggable(event, body), failure, now)
        except Exception:
            log.exception("could not log the failed callback")
        return failure.result


def _log_refusal(
    engine: Engine, gateway: str, event: dict[str, Any], refused: Refused, now: datetime
) -> None:
    result = refused.result
    with UnitOfWork(engine) as uow:
        uow.payments.log_event(gateway, event, result.outcome, result.detail, now)
        if refused.issue:
            expected, actual = refused.amounts
            uow.payments.add_issue(
                {
                    "run_at": now, "gateway": gateway, "statement_date": local_date(now),
                    "ref": str(event.get("ref"))[:100], "kind": f"callback-{result.outcome}"[:40],
                    "expected": expected, "actual": actual,
                    "detail": result.detail,
                }
            )  # fmt: skip
        uow.commit()


def unknown_gateway(engine: Engine, name: str, body: bytes, now: datetime) -> CallbackResult:
    """A callback addressed to a gateway huzhu does not know: refused (404) and logged."""
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        event = None
    event = _loggable(event if isinstance(event, dict) else {}, body)
    refused = Refused(404, "unknown-gateway", f"no payment gateway {name[:40]!r}")
    _log_refusal(engine, name, event, refused, now)
    return refused.result


def pump_sandbox(engine: Engine, now: datetime, config: SandboxConfig | None = None) -> int:
    """Deliver the sandbox's due callbacks in this process (the CLI, tests, the server's thread)."""
    from huzhu.gateways.sandbox import SandboxGateway

    sandbox = SandboxGateway(engine, config)
    return sandbox.pump(now, lambda body, sig: handle(engine, sandbox, body, sig, now).status)


def sandbox_upcoming(engine: Engine, now: datetime) -> tuple[int, datetime | None, int]:
    """(callbacks the sandbox will send later, when the next is due, its delay in seconds)."""
    from huzhu.gateways.sandbox import SandboxGateway

    sandbox = SandboxGateway(engine)
    count, first = sandbox.upcoming(now)
    return count, first, int(sandbox.config.delay.total_seconds())
