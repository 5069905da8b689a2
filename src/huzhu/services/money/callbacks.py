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
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Row

from huzhu import metrics
from huzhu.domain.ledger import AccountKind, Posting, Transaction, account_code
from huzhu.domain.ledger import member_credit_transaction as credit_txn
from huzhu.domain.plan_fields import local_date
from huzhu.gateways.base import DEBIT_SETTLED, EVENT_TYPES, PAYOUT_PAID, PaymentGateway
from huzhu.services.members.prepaid import reactivate_if_funded
from huzhu.storage.repositories.plans.refunds import RefundRepository
from huzhu.storage.uow import UnitOfWork

if TYPE_CHECKING:
    from huzhu.gateways.sandbox_config import SandboxConfig

log = logging.getLogger("huzhu.gateway")
STALE_PAYOUT = re.compile(r"-p(?P<claim>[0-9]+)-a(?P<attempt>[0-9]+)$")


@dataclass(frozen=True)
class CallbackResult:
    status: int
    outcome: str
    detail: str = ""


class Refused(Exception):
    """A callback not applied; `issue` also records a reconciliation issue."""

    def __init__(
        self,
        status: int,
        outcome: str,
        detail: str,
        *,
        issue: bool = False,
        expected: int | None = None,
        actual: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.result = CallbackResult(status, outcome, detail)
        self.issue = issue
        self.amounts = (expected, actual)


def _fen(event: dict[str, Any], key: str) -> int:
    value = event.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10**15:
        raise Refused(400, "malformed", f"'{key}' must be a whole number of fen")
    return value


def _storable(event: dict[str, Any]) -> bool:
    """JSON may escape a lone surrogate ("\\ud800") that no UTF-8 column can hold."""
    return json.dumps(event, ensure_ascii=False).encode("utf-8", "replace").decode() == (
        json.dumps(event, ensure_ascii=False)
    )


def _loggable(event: dict[str, Any], body: bytes) -> dict[str, Any]:
    """The event as the log can keep it, else the raw body as text."""
    return event if event and _storable(event) else {"raw": body[:2000].decode("utf-8", "replace")}


def _parse(body: bytes) -> dict[str, Any]:
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Refused(400, "malformed", "the body is not JSON") from None
    if isinstance(event, dict) and not _storable(event):
        raise Refused(400, "malformed", "the body holds text that is not valid Unicode")
    if not isinstance(event, dict):
        raise Refused(400, "malformed", "the body is not a JSON object")
    for key in ("event_id", "ref"):
        value = event.get(key)
        if not isinstance(value, str) or not 0 < len(value) <= 100 or not value.isprintable():
            raise Refused(400, "malformed", f"'{key}' must be 1 to 100 printable characters")
    if event.get("type") not in EVENT_TYPES:
        raise Refused(400, "malformed", f"unknown event type {str(event.get('type'))[:40]!r}")
    return event


def _failed(event: dict[str, Any]) -> list[tuple[int, int, str]]:
    items = event.get("failed", [])
    if not isinstance(items, list):
        raise Refused(400, "malformed", "'failed' must be a list")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise Refused(400, "malformed", "each failure is an object")
        out.append((_fen(item, "membership_id"), _fen(item, "amount"), str(item.get("reason"))))
    if len({m for m, _, _ in out}) != len(out):
        raise Refused(409, "amount-mismatch", "a member is listed twice as failed", issue=True)
    return out


def _clearing_txn(plan_id: str, key: str, kind: str, amount: int, into: AccountKind) -> Transaction:
    """Money leaves the gateway's clearing account for `into` (a payout: claims-payable)."""
    return Transaction(
        key=key,
        kind=kind,
        plan_id=plan_id,
        postings=(
            Posting(account_code(plan_id, into), amount),
            Posting(account_code(plan_id, AccountKind.GATEWAY_CLEARING), -amount),
        ),
        memo=kind,
    )


def _debit(uow: UnitOfWork, event: dict[str, Any], now: datetime) -> str:
    ref = event["ref"]
    batch = uow.collection.batch_by_ref(ref)
    if batch is None or batch.kind not in ("debit", "retry", "top-up"):
        raise Refused(404, "unknown-payment", f"no debit instruction {ref!r}")
    total, collected, failed = _fen(event, "total"), _fen(event, "collected"), _failed(event)
    failed_amount = sum(a for _, a, _ in failed)
    if total != batch.amount:
        raise Refused(
            409, "amount-mismatch", f"total {total}, instructed {batch.amount}", issue=True,
            expected=batch.amount, actual=total,
        )  # fmt: skip
    if collected + failed_amount != total or len(failed) > batch.items:
        raise Refused(
            409, "amount-mismatch", f"collected {collected} + failed {failed_amount} != {total}",
            issue=True, expected=total, actual=collected + failed_amount,
        )  # fmt: skip
    if batch.status == "settled":
        if (batch.collected, batch.failed_items) != (collected, len(failed)):
            raise Refused(
                409, "conflicting-settlement",
                f"settled before with {batch.collected} collected, now {collected}", issue=True,
                expected=batch.collected, actual=collected,
            )  # fmt: skip
        return "already-settled"
    if batch.kind == "top-up":
        if failed and failed[0][0] != batch.first_membership_id:
            raise Refused(409, "amount-mismatch", "the failed member is not the payer", issue=True)
    elif uow.collection.owed_in_batch(batch, [(m, a) for m, a, _ in failed]) != len(failed):
        raise Refused(409, "amount-mismatch", "a failure is not in this instruction", issue=True)
    _apply_debit(uow, batch, collected, failed, now)
    return "applied"


def _apply_debit(
    uow: UnitOfWork,
    batch: Row[Any],
    collected: int,
    failed: list[tuple[int, int, str]],
    now: datetime,
) -> None:
    plan_id, ref = batch.plan_id, batch.gateway_ref
    failed_amount = sum(a for _, a, _ in failed)
    values = {"collected": collected, "failed_items": len(failed), "failed_amount": failed_amount}
    # Claim the batch first: a concurrent copy of this callback waits here, then finds it settled.
    if not uow.collection.settle_batch(batch.id, now, **values):
        raise Refused(200, "already-settled", "settled by another callback meanwhile")
    txn_id = None
    if collected:
        memo = f"{batch.kind} {ref}: {batch.items - len(failed)} of {batch.items} paid"
        if batch.kind == "top-up":
            memo = f"membership {batch.first_membership_id}"
        txn_id = uow.ledger.post(
            credit_txn(plan_id, f"settled:{ref}", collected, kind=batch.kind, memo=memo),
            now,
        )
        uow.collection.set_batch_transaction(batch.id, txn_id)
    if batch.kind == "debit":
        uow.collection.add_failures(batch.round_id, plan_id, failed, batch.submitted_at)
    elif batch.kind == "retry":
        uow.collection.settle_retry(batch.id, [m for m, _, _ in failed], now)
    elif collected and txn_id is not None:
        uow.ledger.credit_member(batch.first_membership_id, txn_id, collected, "top-up", now)
        reactivate_if_funded(uow, batch.first_membership_id, now)


def _refund(uow: UnitOfWork, batch: Row[Any], event: dict[str, Any], amount: int,
            now: datetime) -> str:  # fmt: skip
    """A closing plan's refund (services.plans.refunds): booked when sent; the answer settles it,
    or, when it failed, a new transaction gives the money back to the member's funds (the next
    `plans refund` run sends it again), as a failed payout waits for the next payout run."""
    if amount != batch.amount:
        raise Refused(
            409, "amount-mismatch", f"amount {amount}, instructed {batch.amount}", issue=True,
            expected=batch.amount, actual=amount,
        )  # fmt: skip
    paid = event["type"] == PAYOUT_PAID
    if batch.status != "submitted":
        if paid and batch.status in ("failed", "resent"):
            raise Refused(
                409, "conflicting-settlement", f"{batch.gateway_ref} failed before, now paid",
                issue=True,
            )  # fmt: skip
        return "already-settled"
    # Claim the transfer first: a concurrent copy of this callback waits here, then finds it done.
    if paid:
        settled = uow.collection.settle_batch(batch.id, now, collected=amount)
    else:
        settled = RefundRepository(uow.conn).mark(batch.id, "submitted", now, "failed")
    if not settled:
        raise Refused(200, "already-settled", "settled by another callback meanwhile")
    if not paid:
        memo = f"refund {batch.gateway_ref} failed: held for the member again"
        key = f"refund-failed:{batch.gateway_ref}"
        txn = credit_txn(batch.plan_id, key, amount, kind="refund-failed", memo=memo)
        txn_id = uow.ledger.post(txn, now)
        uow.ledger.credit_member(batch.first_membership_id, txn_id, amount, "refund-failed", now)
    return "applied"


def _payout(uow: UnitOfWork, event: dict[str, Any], now: datetime) -> str:
    ref, amount = event["ref"], _fen(event, "amount")
    payout = uow.payments.payout_by(ref=ref)
    refund = uow.collection.batch_by_ref(ref) if payout is None else None
    if refund is not None and refund.kind == "refund":
        return _refund(uow, refund, event, amount, now)
    if payout is None:
        stale = STALE_PAYOUT.search(ref)
        current = uow.payments.payout_by(claim_id=int(stale["claim"])) if stale else None
        if stale is None or current is None or int(stale["attempt"]) >= current.attempts:
            raise Refused(404, "unknown-payment", f"no payout instruction {ref!r}")
        if event["type"] == PAYOUT_PAID:
            raise Refused(409, "stale-paid", f"{ref} was retried but reports paid", issue=True)
        return "stale"
    if amount != payout.amount:
        raise Refused(
            409, "amount-mismatch", f"amount {amount}, instructed {payout.amount}", issue=True,
            expected=payout.amount, actual=amount,
        )  # fmt: skip
    paid = event["type"] == PAYOUT_PAID
    if payout.status != "submitted":
        if paid and payout.status == "failed":
            raise Refused(
                409, "conflicting-settlement", f"{ref} failed before, now paid", issue=True
            )
        return "already-settled"
    # Claim the payout first: a concurrent copy of this callback waits here, then finds it done.
    values = {"status": "paid", "paid_at": now} if paid else {"status": "failed"}
    if not uow.payments.update_payout(payout.id, "submitted", **values):
        raise Refused(200, "already-settled", "settled by another callback meanwhile")
    if paid:
        txn = _clearing_txn(
            payout.plan_id, f"settled:{ref}", "payout", amount, AccountKind.CLAIMS_PAYABLE
        )
        uow.payments.update_payout(payout.id, "paid", transaction_id=uow.ledger.post(txn, now))
        uow.payments.mark_claim_paid(payout.claim_id)
    return "applied"


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
