"""Gateway callbacks over HTTP: every bad input is refused or harmless, and every one is logged."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from moneykit import Sandbox, assert_audit_passes, build, count, reconcile_and_audit, run
from sqlalchemy import Engine

from helpers import at
from huzhu.api.app import create_app
from huzhu.api.settings import Settings
from huzhu.services.money import callbacks, collection, payouts, reconcile
from huzhu.storage.tables import ledger_transactions
from huzhu.storage.tables_money import gateway_events, reconciliation_issues
from huzhu.storage.uow import UnitOfWork

NOW = at("2026-01-15", 11)


@pytest.fixture
def sandbox(engine: Engine) -> Sandbox:
    build(engine, "meituan-huzhu", "pp", 20)
    run(engine, "pp", "2026-01-11")
    box = Sandbox(engine)
    box.set(failure_bp=0, duplicate_bp=10_000)  # every callback will come twice
    collection.collect(engine, box, "pp", date(2026, 1, 11), at("2026-01-15"), batch_size=10)
    return box


@pytest.fixture
def client(engine: Engine) -> TestClient:
    app = create_app(Settings(), engine)
    app.state.clock = lambda: NOW
    return TestClient(app)


def send(client: TestClient, box: Sandbox, event: dict[str, Any], **kw: Any) -> httpx.Response:
    body = kw.get("body") or json.dumps(event).encode()
    signature = kw.get("signature", box.gateway.sign(body))
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Sandbox-Signature"] = signature
    return client.post(f"/v1/gateway/{kw.get('name', 'sandbox')}/callbacks", content=body,
                       headers=headers)  # fmt: skip


def debit(ref: str, total: int, collected: int, failed: list[Any] | None = None, n: int = 1):
    return {"event_id": f"evt-{ref}-{n}", "type": "debit.settled", "ref": ref, "total": total,
            "collected": collected, "failed": failed or []}  # fmt: skip


def outcomes(engine: Engine) -> list[str]:
    with UnitOfWork(engine) as uow:
        return [e.outcome for e in uow.payments.events()]


def test_bad_callbacks_are_refused_and_logged_and_change_nothing(
    engine: Engine, sandbox: Sandbox, client: TestClient
) -> None:
    ref, total = "pp-20260111-d1", 10 * 5400
    good = debit(ref, total, total)
    txns = count(engine, ledger_transactions)

    bad_sig = send(client, sandbox, good, signature="0" * 64)
    assert bad_sig.status_code == 401 and bad_sig.json()["code"] == "bad-signature"
    assert send(client, sandbox, good, signature=None).status_code == 401
    other_secret = Sandbox(engine)
    other_secret.set(secret="not-the-secret-" + "x" * 32)
    assert send(client, other_secret, good).status_code == 401
    assert send(client, sandbox, good, name="paypal").json()["code"] == "unknown-gateway"
    malformed = send(client, sandbox, {}, body=b"{not json")
    assert (malformed.status_code, malformed.json()["code"]) == (400, "malformed")
    unknown = send(client, sandbox, debit("pp-20260111-d99", 5, 5))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown-payment")
    assert send(client, sandbox, debit("pp-\x00", 5, 5)).status_code == 400  # logged cleaned
    too_much = send(client, sandbox, debit(ref, total + 1, total + 1))
    assert (too_much.status_code, too_much.json()["code"]) == (409, "amount-mismatch")
    not_adding_up = send(client, sandbox, debit(ref, total, total - 1))
    assert not_adding_up.status_code == 409
    with UnitOfWork(engine) as uow:
        outsider = uow.collection.batch_by_ref("pp-20260111-d2").first_membership_id
    stranger = send(client, sandbox, debit(ref, total, total - 5400, [
        {"membership_id": outsider, "amount": 5400, "reason": "x"}]))  # fmt: skip
    assert stranger.status_code == 409
    twice = [{"membership_id": outsider, "amount": 2700, "reason": "x"}] * 2
    assert send(client, sandbox, debit(ref, total, total - 5400, twice)).status_code == 409

    assert count(engine, ledger_transactions) == txns  # nothing was applied
    with UnitOfWork(engine) as uow:
        assert uow.collection.batch_by_ref(ref).status == "submitted"
        issues = uow.payments.issues()
    assert outcomes(engine) == [
        "bad-signature", "bad-signature", "bad-signature", "unknown-gateway", "malformed",
        "unknown-payment", "malformed", "amount-mismatch", "amount-mismatch", "amount-mismatch",
        "amount-mismatch",
    ]  # fmt: skip
    assert [i.kind for i in issues] == ["callback-amount-mismatch"]  # once per ref and day
    assert (issues[0].expected, issues[0].actual) == (total, total + 1)

    applied = send(client, sandbox, good)
    assert (applied.status_code, applied.json()["outcome"]) == (200, "applied")
    assert send(client, sandbox, good).json()["outcome"] == "duplicate"
    second = send(client, sandbox, debit(ref, total, total, n=2))
    assert (second.status_code, second.json()["outcome"]) == (200, "already-settled")
    conflicting = send(client, sandbox, debit(ref, total, 0, [
        {"membership_id": outsider, "amount": total, "reason": "x"}], n=3))  # fmt: skip
    assert (conflicting.status_code, conflicting.json()["code"]) == (409, "conflicting-settlement")
    assert count(engine, ledger_transactions) == txns + 1
    assert count(engine, gateway_events) == 15
    assert count(engine, reconciliation_issues) == 2
    reconcile_and_audit(engine, sandbox, "2026-01-15")


def test_late_duplicated_and_out_of_order_callbacks_are_harmless(
    engine: Engine, sandbox: Sandbox, client: TestClient
) -> None:
    sandbox.drain(at("2026-01-15"))
    assert outcomes(engine).count("duplicate") == 2
    sandbox.set(payout_failure_bp=10_000)
    with UnitOfWork(engine) as uow:
        payouts.run_payouts(uow, sandbox(uow.conn), "pp", date(2026, 1, 11), NOW)
        uow.commit()
    with UnitOfWork(engine) as uow:
        first = uow.payments.payouts(1)[0]
    failed = {"event_id": "evt-a1", "type": "payout.failed", "ref": first.gateway_ref,
              "amount": first.amount, "reason": "account-invalid"}  # fmt: skip
    assert send(client, sandbox, failed).json()["outcome"] == "applied"
    sandbox.set(payout_failure_bp=0)
    with UnitOfWork(engine) as uow:
        payouts.run_payouts(uow, sandbox(uow.conn), "pp", date(2026, 1, 11), NOW)
        uow.commit()
    with UnitOfWork(engine) as uow:
        second = uow.payments.payouts(1)[0]
    paid = {**failed, "event_id": "evt-a2", "type": "payout.paid", "ref": second.gateway_ref}
    # The first attempt's failure arrives again, late, after the retry: stale, harmless.
    assert send(client, sandbox, {**failed, "event_id": "evt-a1-late"}).json()["outcome"] == "stale"
    assert send(client, sandbox, paid).json()["outcome"] == "applied"
    # Out of order: a failure for the attempt that was paid changes nothing.
    late_fail = {**paid, "event_id": "evt-a2-fail", "type": "payout.failed"}
    assert send(client, sandbox, late_fail).json()["outcome"] == "already-settled"
    wrong = {**paid, "event_id": "evt-a2-wrong", "amount": paid["amount"] - 1}
    assert send(client, sandbox, wrong).status_code == 409
    stale_paid = {**failed, "event_id": "evt-a1-paid", "type": "payout.paid"}
    assert send(client, sandbox, stale_paid).json()["code"] == "stale-paid"
    with UnitOfWork(engine) as uow:
        claim = uow.claims.get(uow.payments.payouts(1)[0].claim_id)
    assert claim.state.value == "paid"
    # The sandbox's own callbacks for both attempts arrive later still: all harmless.
    sandbox.drain(NOW)
    with UnitOfWork(engine) as uow:
        reconcile.reconcile(uow, sandbox(uow.conn), date(2026, 1, 15), NOW)
        uow.commit()
    assert_audit_passes(engine)


def test_the_same_callback_delivered_twice_at_once_is_applied_once(
    engine: Engine, sandbox: Sandbox
) -> None:
    ref, total = "pp-20260111-d1", 10 * 5400
    txns = count(engine, ledger_transactions)
    results: list[str] = []

    def deliver(n: int) -> None:
        body = json.dumps(debit(ref, total, total, n=n)).encode()
        gw = sandbox.gateway
        results.append(callbacks.handle(engine, gw, body, gw.sign(body), NOW).outcome)

    threads = [threading.Thread(target=deliver, args=(n,)) for n in (1, 1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("applied") == 1, results
    # The others saw it done, or (SQLite's single writer) were told to come again later.
    assert set(results) - {"applied"} <= {"already-settled", "duplicate", "error"}
    assert count(engine, ledger_transactions) == txns + 1
    with UnitOfWork(engine) as uow:
        assert uow.collection.batch_by_ref(ref).collected == total
    reconcile_and_audit(engine, sandbox, "2026-01-15")


def test_a_callback_that_fails_to_arrive_is_sent_again(engine: Engine, sandbox: Sandbox) -> None:
    tries: list[bytes] = []

    def down(body: bytes, signature: str) -> int:
        tries.append(body)
        raise ConnectionError("huzhu is down")

    later = at("2026-01-15", 10) + timedelta(minutes=1)  # the callbacks are due
    assert sandbox.gateway.pump(later, down) == 0
    assert sandbox.gateway.pump(later, lambda body, sig: tries.append(body) or 503) == 0
    assert len(tries) == 4
    assert sandbox.pump(later) == 2  # both batches, now accepted
    with UnitOfWork(engine) as uow:
        assert {b.status for b in uow.collection.batches(1) if b.kind == "debit"} == {"settled"}
    reconcile_and_audit(engine, sandbox, "2026-01-15")
