"""Collection and webhook delivery run by several workers at once, on PostgreSQL: every charge is
debited in exactly one batch and every webhook is posted exactly once, whoever runs.

Each worker is a whole run (`collection.collect`, or passes of `webhooks.deliver_due` until none
is due), in its own thread and transactions, released together by racekit's barrier.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date

import httpx
from apikit import NOW, Api, Clock
from moneykit import Sandbox, build, run
from racekit import race, tally
from sqlalchemy import Engine, text

from helpers import at
from huzhu.services.messaging import webhooks
from huzhu.services.money import collection
from huzhu.storage.uow import UnitOfWork

N = 4
ROUND = date(2026, 1, 11)  # Meituan calendar: announce the 11th, collect the 15th


def test_simultaneous_collection_runs_debit_each_charge_once(postgres: Engine) -> None:
    w = build(postgres, "meituan-huzhu", "pp", 120)
    assert run(postgres, "pp", "2026-01-11").round.figures.collected > 0
    sandbox = Sandbox(postgres)
    sandbox.set(failure_bp=0)
    when = at("2026-01-15", 10)
    runs = race(
        [
            (lambda: collection.collect(postgres, sandbox, "pp", ROUND, when, batch_size=7))
            for _ in range(N)
        ]
    )
    assert tally(runs) == {"ok": N}, [o.error for o in runs]
    with postgres.connect() as conn:
        items = conn.execute(
            text(
                "SELECT c.membership_id, count(b.id) FROM member_charges c "
                "LEFT JOIN collection_batches b ON b.kind = 'debit' AND b.round_id = c.round_id "
                "AND c.membership_id BETWEEN b.first_membership_id AND b.last_membership_id "
                "WHERE c.amount > 0 GROUP BY c.membership_id"
            )
        ).all()
        asked = conn.execute(text("SELECT count(*), sum(amount) FROM sandbox_requests")).one()
        batches = conn.execute(
            text("SELECT count(*), sum(items), sum(amount) FROM collection_batches "
                 "WHERE kind = 'debit'")
        ).one()  # fmt: skip
    assert items and {n for _, n in items} == {1}, "a charge in no batch, or in two"
    assert batches[1] == len(items) == len(w.members)  # the claimant is paid out, not charged
    assert (asked[0], asked[1]) == (batches[0], batches[2])  # one instruction per batch
    assert sum(r.value.members for r in runs) == len(items)  # the runs shared the work
    sandbox.drain(when)
    with UnitOfWork(postgres) as uow:
        record = uow.rounds.for_period("pp", ROUND)
        assert record is not None and collection.is_complete(uow, record)


def test_simultaneous_retry_passes_retry_and_write_off_once(postgres: Engine) -> None:
    w = build(postgres, "meituan-huzhu", "pp", 40)
    run(postgres, "pp", "2026-01-11")
    stubborn = frozenset(w.members[:6])  # their accounts are always empty
    sandbox = Sandbox(postgres)
    sandbox.set(failure_bp=0, fail_members=stubborn)
    collection.collect(postgres, sandbox, "pp", ROUND, at("2026-01-15", 10))
    sandbox.drain(at("2026-01-15", 10))

    def passes(day: str) -> list[collection.RetryRun]:
        outcomes = race(
            [
                (lambda: collection.retry(postgres, sandbox, "pp", at(day), batch_size=2))
                for _ in range(N)
            ]
        )
        assert tally(outcomes) == {"ok": N}, [o.error for o in outcomes]
        sandbox.drain(at(day))
        return [o.value for o in outcomes]

    for day in ("2026-01-16", "2026-01-17", "2026-01-18"):
        assert sum(r.retried_members for r in passes(day)) == len(stubborn)  # once a day
    final = passes("2026-01-19")
    assert sum(r.written_off_members for r in final) == len(stubborn)
    with postgres.connect() as conn:
        left = conn.scalar(
            text("SELECT count(*) FROM membership_events WHERE reason = 'non-payment'")
        )
        retried = conn.scalar(
            text("SELECT sum(items) FROM collection_batches WHERE kind = 'retry'")
        )
    assert left == len(stubborn) and retried == 3 * len(stubborn)


def test_simultaneous_delivery_passes_post_each_webhook_once(postgres: Engine) -> None:
    api = Api(postgres, Clock(NOW))
    operator = api.account("operator", "operator")
    r = api.post("/v1/host-apps", operator, json={"name": "alipay", "webhook_url": "http://h/x"})
    assert r.status_code == 201, r.text
    with UnitOfWork(postgres) as uow:
        for i in range(60):
            uow.webhooks.emit(r.json()["id"], "member.joined", {"n": i}, NOW)
        uow.commit()
    posted: Counter[str] = Counter()
    lock = threading.Lock()

    def receive(request: httpx.Request) -> httpx.Response:
        with lock:
            posted[request.headers["webhook-id"]] += 1
        return httpx.Response(204)

    def worker() -> int:
        delivered = 0
        with httpx.Client(transport=httpx.MockTransport(receive)) as client:
            while (done := webhooks.deliver_due(postgres, client, NOW, batch=5)) > 0:
                delivered += done
        return delivered

    passes = race([worker for _ in range(N)])
    assert tally(passes) == {"ok": N}, [o.error for o in passes]
    assert len(posted) == 60 and set(posted.values()) == {1}, posted
    assert sum(p.value for p in passes) == 60
    with postgres.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM webhook_deliveries")) == 60
        assert (
            conn.scalar(text("SELECT count(*) FROM webhook_events WHERE delivered_at IS NULL")) == 0
        )
