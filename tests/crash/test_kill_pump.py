"""A `huzhu gateway pump` killed with SIGKILL at any moment loses no callback: the sandbox gateway
notes a callback as sent only once huzhu has answered it, so every callback the dead pump did not
get answered is sent by the next pump (at least once: one huzhu had applied just before the kill
may come again, and is a harmless duplicate). Real `huzhu` processes, really killed, on both
databases.

A post-paid round of xiang-hu-bao is collected in 50 debit batches; the pump that delivers their
callbacks is killed three times, at about 15%, 45% and 75% of the batches settled (then half a
callback's time more, so most kills land while huzhu is applying one). After each kill every
callback noted as sent belongs to a settled batch. One more pump then settles every batch, the
duplicates follow, the day reconciles clean, the claimant is paid, the clearing account is back
to zero and the audit passes. A second test dies, in process, exactly between huzhu applying a
callback and the gateway noting it: the window a kill rarely hits.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select

from helpers import install
from huzhu import gateways
from huzhu.domain.plan_fields import CHINA_TZ
from huzhu.gateways.sandbox import SandboxGateway
from huzhu.services.audit.service import audit
from huzhu.services.money import callbacks, collection
from huzhu.services.money.reconcile import reconcile
from huzhu.services.rounds.service import run_round
from huzhu.simulation.seed import seed_approved_claim, seed_members
from huzhu.storage.repositories.rounds.repository import RoundRecord
from huzhu.storage.tables import claims, ledger_transactions
from huzhu.storage.tables_money import collection_batches as batches
from huzhu.storage.tables_money import gateway_events, sandbox_requests
from huzhu.storage.uow import UnitOfWork

PLAN = "xiang-hu-bao"  # post-paid: announced the 7th, collected the 14th
PERIOD = date(2026, 3, 7)
MEMBERS = 50_000
BATCH = 1_000  # 50 debit batches, so 50 callbacks (and their seeded duplicates) to deliver
AIMS = (0.15, 0.45, 0.75)  # the share of debit batches settled when each pump is killed
HUZHU = str(Path(sys.executable).parent / "huzhu")


def beijing(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock(hour, minute), CHINA_TZ)


@pytest.fixture
def sandbox_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox's defaults, pinned: this process and the `huzhu` ones share one bank."""
    for name, value in {"GATEWAY": "sandbox", "SANDBOX_GATEWAY_SEED": "0",
                        "SANDBOX_GATEWAY_FAILURE_BP": "500", "SANDBOX_GATEWAY_DELAY_S": "60",
                        "SANDBOX_GATEWAY_DUPLICATE_BP": "2500"}.items():  # fmt: skip
        monkeypatch.setenv(f"HUZHU_{name}", value)
    monkeypatch.delenv("HUZHU_SANDBOX_GATEWAY_FAIL_MEMBERS", raising=False)
    monkeypatch.delenv("HUZHU_SANDBOX_GATEWAY_SECRET", raising=False)


def collected_round(engine: Engine, members: int, batch: int) -> tuple[RoundRecord, int]:
    """A round of `members` with one claim, collected (in process) at 10:00 on its collection
    date; returns the round and its number of debit batches, none answered yet."""
    joined = datetime(2025, 6, 1, 9, tzinfo=CHINA_TZ)
    install(engine, joined)
    seed_members(engine, PLAN, members, joined)
    seed_approved_claim(engine, PLAN, 1, 10_000_000, beijing(PERIOD, 9) - timedelta(days=2))
    with UnitOfWork(engine) as uow:
        record = run_round(uow, PLAN, PERIOD, beijing(PERIOD, 9)).round
        uow.commit()
    run = collection.collect(
        engine, gateways.factory(), PLAN, PERIOD, beijing(record.collect_date, 10),
        batch_size=batch,
    )  # fmt: skip
    assert run.complete and run.batches > 1
    return record, debit_batches(engine, record)


def debit_batches(engine: Engine, record: RoundRecord, *, settled: bool = False) -> int:
    q = select(func.count()).where(batches.c.round_id == record.id, batches.c.kind == "debit")
    if settled:
        q = q.where(batches.c.status == "settled")
    with engine.connect() as conn:
        return int(conn.scalar(q) or 0)


def nothing_lost(engine: Engine, record: RoundRecord) -> tuple[int, int]:
    """Every callback the gateway notes as sent was applied: no batch waits on a callback the
    gateway will not send again. Returns (debit batches settled, callbacks noted as sent)."""
    with engine.connect() as conn:
        rows = list(
            conn.execute(
                select(batches.c.gateway_ref, batches.c.status, sandbox_requests.c.callbacks_sent)
                .join(sandbox_requests, sandbox_requests.c.ref == batches.c.gateway_ref)
                .where(batches.c.round_id == record.id, batches.c.kind == "debit")
            )
        )
    lost = [r.gateway_ref for r in rows if r.callbacks_sent > 0 and r.status != "settled"]
    assert not lost, f"noted as sent but never applied: {lost}"
    return sum(r.status == "settled" for r in rows), sum(r.callbacks_sent for r in rows)


def applied_once(engine: Engine, record: RoundRecord) -> int:
    """Each debit callback was applied exactly once and credited once, however often it came;
    every copy the gateway meant to send has gone out. Returns how many copies huzhu received
    beyond those (sent again because a pump died before noting huzhu's answer)."""
    pre = f"{PLAN}-{PERIOD:%Y%m%d}-d"
    with engine.connect() as conn:
        applied = list(
            conn.scalars(
                select(gateway_events.c.ref).where(
                    gateway_events.c.ref.startswith(pre), gateway_events.c.outcome == "applied"
                )
            )
        )
        received = int(
            conn.scalar(select(func.count()).where(gateway_events.c.ref.startswith(pre))) or 0
        )
        outcomes = set(
            conn.scalars(
                select(gateway_events.c.outcome).where(gateway_events.c.ref.startswith(pre))
            )
        )
        credited = list(
            conn.scalars(
                select(ledger_transactions.c.key).where(
                    ledger_transactions.c.key.startswith(f"settled:{pre}")
                )
            )
        )
        sent = list(
            conn.execute(
                select(sandbox_requests.c.payload, sandbox_requests.c.callbacks_sent).where(
                    sandbox_requests.c.ref.startswith(pre)
                )
            )
        )
    debits = debit_batches(engine, record)
    assert len(applied) == len(set(applied)) == debits
    assert len(credited) == len(set(credited)) == debits
    assert outcomes <= {"applied", "duplicate", "already-settled"}, outcomes
    assert all(r.callbacks_sent == r.payload["copies"] for r in sent)
    assert received >= sum(r.callbacks_sent for r in sent)
    return received - sum(r.callbacks_sent for r in sent)


def reconcile_and_audit(engine: Engine, record: RoundRecord) -> None:
    day = record.collect_date
    with UnitOfWork(engine) as uow:
        report = reconcile(uow, SandboxGateway(uow.conn), day, beijing(day, 23))
        uow.commit()
    assert report.ok, report.issues
    with UnitOfWork(engine) as uow:
        assert uow.ledger.balance(f"{PLAN}:gateway-clearing") == 0
        checked = audit(uow)
    assert checked.ok, [c.problems for c in checked.checks if not c.ok]


def huzhu(url: str, now: datetime, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [HUZHU, "--database", url, "--now", now.isoformat(), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish(process: subprocess.Popen[bytes]) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, (out + err).decode()
    return " ".join(out.decode().split())


def kill_pump_at(
    watcher: Engine, url: str, record: RoundRecord, now: datetime, target: int, extra: float
) -> tuple[int, float]:
    """Start a pump, SIGKILL it once `target` debit batches are settled (then `extra` seconds
    later); returns the batches settled when it died and the time one callback took."""
    victim = huzhu(url, now, "gateway", "pump")
    seen = [time.monotonic()]
    settled = debit_batches(watcher, record, settled=True)
    start = settled
    deadline = time.monotonic() + 120
    while settled < target:
        assert victim.poll() is None, "the pump ended before it could be killed"
        assert time.monotonic() < deadline, "the pump made no progress"
        time.sleep(0.005)
        now_settled = debit_batches(watcher, record, settled=True)
        if now_settled > settled:
            seen.append(time.monotonic())
            settled = now_settled
    time.sleep(extra)
    assert victim.poll() is None, "the pump ended before it could be killed"
    victim.send_signal(signal.SIGKILL)
    assert victim.wait(timeout=60) == -signal.SIGKILL
    victim.communicate()
    per_callback = (seen[-1] - seen[1]) / max(settled - start - 1, 1) if len(seen) > 2 else extra
    return debit_batches(watcher, record, settled=True), per_callback


@pytest.mark.usefixtures("sandbox_env")
def test_a_pump_killed_at_any_moment_loses_no_callback(engine: Engine, database_url: str) -> None:
    record, debits = collected_round(engine, MEMBERS, BATCH)
    assert debits == MEMBERS // BATCH
    day, url = record.collect_date, database_url
    # The test's own engine begins each transaction with BEGIN IMMEDIATE on SQLite, so watching
    # through it would take the write lock the pump needs; this one only reads.
    watcher = create_engine(url)
    per_callback = 0.0
    killed_at = []
    for k, aim in enumerate(AIMS):  # the callbacks are due from 10:01
        dead_at, measured = kill_pump_at(
            watcher, url, record, beijing(day, 10, 5 + k), int(debits * aim), per_callback / 2
        )
        per_callback = per_callback or measured
        killed_at.append(dead_at)
        assert dead_at < debits, "the kill came too late: nothing left to lose"
        assert nothing_lost(engine, record)[0] == dead_at
        with UnitOfWork(engine) as uow:  # whatever the kill interrupted left the books whole
            checked = audit(uow)
        # (Until the day is reconciled, what was collected waits in the clearing account.)
        broken = [c.problems for c in checked.checks if not c.ok and "clearing" not in c.name]
        assert not broken, broken

    # Before the fix the first pump noted all 50 as sent and this one found nothing to send.
    said = finish(huzhu(url, beijing(day, 10, 10), "gateway", "pump"))
    assert debit_batches(engine, record, settled=True) == debits, said
    nothing_lost(engine, record)
    # The seeded duplicates, one delay after the last copies; nothing more is ever due.
    finish(huzhu(url, beijing(day, 10, 15), "gateway", "pump"))
    assert finish(huzhu(url, beijing(day, 11), "gateway", "pump")).startswith("0 callback")
    resent = applied_once(engine, record)
    reconcile_and_audit(engine, record)

    # Collection has settled, so the claimant is paid (before the fix: collection-not-settled).
    said = finish(huzhu(url, beijing(day, 11), "payouts", "run", "--plan", PLAN,
                        "--date", PERIOD.isoformat()))  # fmt: skip
    assert "1 payout(s) sent" in said, said
    finish(huzhu(url, beijing(day, 11, 5), "gateway", "pump"))
    with engine.connect() as conn:
        assert conn.scalar(select(claims.c.state).where(claims.c.round_id == record.id)) == "paid"
    reconcile_and_audit(engine, record)
    watcher.dispose()
    print(
        f"pumps killed at {killed_at} of {debits} batches settled; a callback takes "
        f"{per_callback * 1000:.0f} ms; {resent} callback(s) applied before a kill came again"
    )


class Died(BaseException):
    """The pump's process ending (what SIGKILL does), not an error the gateway could catch."""


@pytest.mark.usefixtures("sandbox_env")
def test_a_pump_that_dies_after_huzhu_applied_a_callback_sends_it_again(engine: Engine) -> None:
    record, debits = collected_round(engine, 40, 10)
    sandbox = SandboxGateway(engine)
    now = beijing(record.collect_date, 10, 5)
    delivered: list[bytes] = []

    def dies_after_the_second(body: bytes, signature: str) -> int:
        status = callbacks.handle(engine, sandbox, body, signature, now).status
        delivered.append(body)
        if len(delivered) == 2:
            raise Died  # huzhu has committed this callback; the gateway never hears its answer
        return status

    with pytest.raises(Died):
        sandbox.pump(now, dies_after_the_second)
    assert nothing_lost(engine, record) == (2, 1)  # two applied, only the first noted as sent
    # The next pump sends the other debits' callbacks and the second one again: a duplicate
    # (and the first one's seeded duplicate, if it has one: it is due too).
    assert callbacks.pump_sandbox(engine, now) >= debits - 1
    assert nothing_lost(engine, record)[0] == debits
    with UnitOfWork(engine) as uow:
        seen = [(e.ref, e.outcome) for e in uow.payments.events()]
    first, second = (json.loads(body)["ref"] for body in delivered)
    assert [ref for ref, outcome in seen if ref == second] == [second, second]
    assert [outcome for ref, outcome in seen if ref == second] == ["applied", "duplicate"]
    # Any other duplicate so far is the first one's seeded copy.
    assert {ref for ref, outcome in seen if outcome == "duplicate"} <= {first, second}
    for minutes in (10, 15, 20):  # the seeded duplicates
        callbacks.pump_sandbox(engine, now + timedelta(minutes=minutes))
    applied_once(engine, record)
    reconcile_and_audit(engine, record)
