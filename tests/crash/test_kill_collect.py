"""A post-paid collection killed with SIGKILL at any moment resumes where it stopped: no member is
debited twice, no fen is lost, and once the gateway has answered and the day is reconciled the
books balance to the fen. Real `huzhu collect` processes, really killed, on both databases.

Each period of xiang-hu-bao gets a fresh round (with a few members leaving between its lock and
its collection date, so the waiver step has work) and one collection that is killed: once its
last batch is committed (before it exits), before it touches the database, right after its
waiver, and inside its debit batches about 30%, 60% and 90% of the way. The kills mid-run are
aimed by watching the committed batches from here (then a fraction of one batch's time more, so
most land inside a batch's transaction), not by guessing the process's start-up time. While the
collection is down the gateway answers what it was sent (as `huzhu serve` would); then `huzhu
collect` runs again to completion, the rest is answered (late, some twice, shuffled) and the day
is reconciled.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Row, and_, create_engine, func, select

from helpers import install
from huzhu.domain.plan_fields import CHINA_TZ
from huzhu.gateways.sandbox import SandboxGateway
from huzhu.services.audit.service import audit
from huzhu.services.members.service import leave
from huzhu.services.money import callbacks
from huzhu.services.money.reconcile import reconcile
from huzhu.services.rounds.service import run_round
from huzhu.simulation.seed import seed_approved_claim, seed_members
from huzhu.storage.repositories.rounds.repository import RoundRecord
from huzhu.storage.tables import ledger_transactions, member_charges, member_credits
from huzhu.storage.tables_money import collection_batches as batches
from huzhu.storage.tables_money import collection_failures as failures
from huzhu.storage.tables_money import sandbox_requests
from huzhu.storage.uow import UnitOfWork

PLAN = "xiang-hu-bao"  # post-paid: announced the 7th and 21st, collected the 14th and 28th
MEMBERS = 50_000
BATCH = 1_000  # 50 debit batches a round, so the kills land between and inside batches
LEAVERS = 25  # per period: leave after the lock, before the collection date (waived)
CHARGE = 10  # fen: the 0.1 yuan per-case cap binds with one 100,000-yuan case a round
HUZHU = str(Path(sys.executable).parent / "huzhu")
PERIODS = [date(2026, m, d) for m in (3, 4, 5) for d in (7, 21)]
# What each period's kill waits for: None = the end of the run, 0 = nothing (start-up),
# -1 = the waiver, else this share of the round's debit batches committed.
AIMS: list[float | None] = [None, 0, -1, 0.3, 0.6, 0.9]


def beijing(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock(hour, minute), CHINA_TZ)


def prefix(period: date) -> str:
    return f"{PLAN}-{period:%Y%m%d}-"


@dataclass(frozen=True)
class Progress:
    waiver: bool  # the waiver step is committed
    debit_batches: int
    gateway_instructions: int


def progress(watcher: Engine, record: RoundRecord) -> Progress:
    """What the collection has committed: one cheap query, read without taking a lock."""
    pre = prefix(record.announce_date)
    with watcher.connect() as conn:
        row = conn.execute(
            select(
                select(func.count())
                .where(batches.c.gateway_ref == f"{pre}waive")
                .scalar_subquery(),
                select(func.count())
                .where(batches.c.round_id == record.id, batches.c.kind == "debit")
                .scalar_subquery(),
                select(func.count())
                .where(sandbox_requests.c.ref.startswith(pre))
                .scalar_subquery(),
            )
        ).one()
    return Progress(bool(row[0]), int(row[1]), int(row[2]))


def collect_process(url: str, period: date, now: datetime) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [HUZHU, "--database", url, "--now", now.isoformat(), "collect", "--plan", PLAN,
         "--date", period.isoformat(), "--batch-size", str(BATCH)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip


def kill_when(
    victim: subprocess.Popen[bytes], ready: Callable[[], bool], extra: float = 0.0
) -> bool:
    """SIGKILL the victim once `ready()` (then `extra` seconds later); False if it ended first."""
    deadline = time.monotonic() + 120
    while not ready():
        if victim.poll() is not None:
            return False
        assert time.monotonic() < deadline, "the collection made no progress"
        time.sleep(0.005)
    time.sleep(extra)
    if victim.poll() is not None:
        return False
    victim.send_signal(signal.SIGKILL)
    assert victim.wait(timeout=60) == -signal.SIGKILL
    return True


def kill_as_aimed(
    watcher: Engine,
    victim: subprocess.Popen[bytes],
    record: RoundRecord,
    aim: float | None,
    debits: int,
    batch_time: float,
) -> float:
    """Kill the collection at its aim (see AIMS); returns one batch's time when aim is None."""
    if aim is None:  # wait until every batch is committed, then kill it before it exits
        seen: list[float] = []

        def done() -> bool:
            n = progress(watcher, record).debit_batches
            seen.extend([time.monotonic()] * (n - len(seen)))
            return n == debits

        kill_when(victim, done)
        victim.wait(timeout=60)
        return (seen[-1] - seen[0]) / max(len(seen) - 1, 1)
    if aim == 0:  # at once: the interpreter is still starting
        assert kill_when(victim, lambda: True)
        assert progress(watcher, record) == Progress(False, 0, 0)
    elif aim < 0:
        kill_when(victim, lambda: progress(watcher, record).waiver)
    else:
        target = int(debits * aim)
        kill_when(
            victim,
            lambda: progress(watcher, record).debit_batches >= target,
            extra=batch_time * aim,
        )
    return batch_time


def sums(engine: Engine, round_id: int) -> dict[str, int]:
    """The round's charges, waivers and open failures, counted and summed from their tables."""
    waived = and_(failures.c.round_id == round_id, failures.c.status == "waived")
    open_ = and_(failures.c.round_id == round_id, failures.c.status == "outstanding")
    charged = and_(member_charges.c.round_id == round_id, member_charges.c.amount > 0)
    out: dict[str, int] = {}
    with engine.connect() as conn:
        for name, table, cond in (
            ("charged", member_charges, charged),
            ("waived", failures, waived),
            ("outstanding", failures, open_),
        ):
            n, total = conn.execute(
                select(func.count(), func.coalesce(func.sum(table.c.amount), 0)).where(cond)
            ).one()
            out[name], out[f"{name}_fen"] = int(n), int(total)
        credits = conn.execute(
            select(func.count(), func.coalesce(func.sum(member_credits.c.amount), 0)).where(
                member_credits.c.kind == "waived",
                member_credits.c.membership_id.in_(select(failures.c.membership_id).where(waived)),
            )
        ).one()
        out["waived_credits"], out["waived_credits_fen"] = int(credits[0]), int(credits[1])
    return out


def no_member_debited_twice(engine: Engine, record: RoundRecord) -> list[dict[str, int | str]]:
    """Check the round's debit batches against its charges and the gateway's instructions.

    The batches are numbered d1, d2, ... without a gap, their membership ranges never overlap, each
    asked for exactly the charges in its range (less the waived), and the gateway holds exactly one
    instruction per batch, for the same members and amount: so no member is in two instructions.
    """
    pre = prefix(record.announce_date)
    with engine.connect() as conn:
        rows = list(
            conn.execute(
                select(batches)
                .where(batches.c.round_id == record.id, batches.c.kind == "debit")
                .order_by(batches.c.batch_no)
            )
        )
        asked = {
            r.ref: r
            for r in conn.execute(
                select(sandbox_requests).where(sandbox_requests.c.ref.startswith(pre))
            )
        }
        waived_ids = select(failures.c.membership_id).where(
            failures.c.round_id == record.id, failures.c.status == "waived"
        )
        found = []
        for b in rows:
            n, total = conn.execute(
                select(func.count(), func.coalesce(func.sum(member_charges.c.amount), 0)).where(
                    member_charges.c.round_id == record.id,
                    member_charges.c.amount > 0,
                    member_charges.c.membership_id.between(b.first_membership_id,
                                                           b.last_membership_id),
                    member_charges.c.membership_id.not_in(waived_ids),
                )
            ).one()  # fmt: skip
            found.append((int(n), int(total)))
    assert [b.gateway_ref for b in rows] == [f"{pre}d{i}" for i in range(1, len(rows) + 1)]
    assert [b.batch_no for b in rows] == list(range(1, len(rows) + 1))  # after the waiver, 0
    for before, after in pairwise(rows):
        assert before.last_membership_id < after.first_membership_id, (before, after)
    for b, (n, total) in zip(rows, found, strict=True):
        assert (b.items, b.amount) == (n, total), (b.gateway_ref, b.items, b.amount, n, total)
    assert set(asked) == {b.gateway_ref for b in rows}, "a gateway instruction without its batch"
    failed_members: list[int] = []
    for b in rows:
        payload = asked[b.gateway_ref].payload
        assert (payload["items"], payload["total"]) == (b.items, b.amount), b.gateway_ref
        failed = [m for m, _, _ in payload["failed"]]
        assert all(b.first_membership_id <= m <= b.last_membership_id for m in failed), (
            b.gateway_ref
        )
        failed_members += failed
    assert len(failed_members) == len(set(failed_members)), "a member failed in two instructions"
    return [{"ref": b.gateway_ref, "items": b.items, "amount": b.amount} for b in rows]


def settled_batches(engine: Engine, record: RoundRecord) -> list[Row[Any]]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(batches).where(
                    batches.c.round_id == record.id,
                    batches.c.kind == "debit",
                    batches.c.status == "settled",
                )
            )
        )


def answer_and_reconcile(engine: Engine, record: RoundRecord, debits: int) -> tuple[int, int]:
    """The gateway answers the rest (late, some twice, shuffled) and the day is reconciled; every
    fen of the round is then collected, still owed by a member, or waived. Returns (collected,
    still owed)."""
    day = record.collect_date
    for minutes in (90, 150):
        callbacks.pump_sandbox(engine, beijing(day, 10) + timedelta(minutes=minutes))
    with UnitOfWork(engine) as uow:
        report = reconcile(uow, SandboxGateway(uow.conn), day, beijing(day, 23))
        uow.commit()
    assert report.ok, report.issues
    settled = settled_batches(engine, record)
    with engine.connect() as conn:
        keys = set(
            conn.scalars(
                select(ledger_transactions.c.key).where(
                    ledger_transactions.c.key.like(f"%{prefix(record.announce_date)}d%")
                )
            )
        )
    assert len(settled) == debits  # every batch answered
    collected = sum(b.collected for b in settled)
    final = sums(engine, record.id)
    assert sum(b.failed_items for b in settled) == final["outstanding"] > 0
    assert sum(b.failed_amount for b in settled) == final["outstanding_fen"]
    assert collected + final["outstanding_fen"] + final["waived_fen"] == record.figures.collected
    # Each batch credited its members once (settled:) and moved to cash once (settle:).
    assert keys == {f"{k}:{b.gateway_ref}" for b in settled for k in ("settled", "settle")}
    return collected, final["outstanding_fen"]


def audit_passes(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        report = audit(uow)
    assert report.ok, [c.problems for c in report.checks if not c.ok]


def balance(engine: Engine, kind: str) -> int:
    with UnitOfWork(engine) as uow:
        return uow.ledger.balance(f"{PLAN}:{kind}")


def test_a_collection_killed_at_any_moment_resumes_and_never_debits_twice(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sandbox's defaults, pinned: this process and the `huzhu` ones must share one bank.
    for name, value in {"GATEWAY": "sandbox", "SANDBOX_GATEWAY_SEED": "0",
                        "SANDBOX_GATEWAY_FAILURE_BP": "500", "SANDBOX_GATEWAY_DELAY_S": "60",
                        "SANDBOX_GATEWAY_DUPLICATE_BP": "2500"}.items():  # fmt: skip
        monkeypatch.setenv(f"HUZHU_{name}", value)
    monkeypatch.delenv("HUZHU_SANDBOX_GATEWAY_FAIL_MEMBERS", raising=False)
    joined = datetime(2025, 6, 1, 9, tzinfo=CHINA_TZ)
    install(engine, joined)
    seed_members(engine, PLAN, MEMBERS, joined)
    url = database_url
    # The test's own engine begins each transaction with BEGIN IMMEDIATE on SQLite, so watching
    # through it would take the write lock the collection needs; this one only reads.
    watcher = create_engine(url)
    batch_time = 0.0  # one debit batch's time, measured on the first (uninterrupted) run
    mid_run_kills = 0
    cash = owed = 0  # what the plan's cash and member-funds accounts must hold
    for p, (period, aim) in enumerate(zip(PERIODS, AIMS, strict=True)):
        seed_approved_claim(engine, PLAN, p + 1, 10_000_000, beijing(period, 9) - timedelta(days=2))
        with UnitOfWork(engine) as uow:
            record = run_round(uow, PLAN, period, beijing(period, 9)).round
            uow.commit()
        leavers = [1000 + p * 7 + k * (MEMBERS - 2000) // LEAVERS for k in range(LEAVERS)]
        with UnitOfWork(engine) as uow:
            for m in leavers:
                leave(uow, m, beijing(period, 15))
            uow.commit()
        day = record.collect_date
        charges = sums(engine, record.id)
        assert charges["charged_fen"] == record.figures.collected == charges["charged"] * CHARGE
        debits = -(-(charges["charged"] - LEAVERS) // BATCH)

        victim = collect_process(url, period, beijing(day, 10))
        started = time.monotonic()
        measured = kill_as_aimed(watcher, victim, record, aim, debits, batch_time)
        batch_time = measured if aim is None else batch_time
        killed_after = time.monotonic() - started

        # After the kill: whatever was sent is whole and recorded, and the books still balance.
        sent = no_member_debited_twice(engine, record)
        if aim is not None and aim != 0:
            mid_run_kills += victim.returncode == -signal.SIGKILL and len(sent) < debits
        after_kill = sums(engine, record.id)
        assert (after_kill["waived_credits"], after_kill["waived_credits_fen"]) == (
            after_kill["waived"],
            after_kill["waived_fen"],
        )
        assert after_kill["waived"] == (0 if aim == 0 else LEAVERS)
        assert after_kill["outstanding"] == 0  # nothing has been answered yet
        audit_passes(engine)
        # The gateway answers what was sent while the collection is down (as `huzhu serve` would).
        answered = callbacks.pump_sandbox(engine, beijing(day, 10, 5))
        # Every batch sent before the kill is answered once. The pump may also deliver a late
        # duplicate left from an earlier period's round, so its count can exceed this round's.
        assert len(settled_batches(engine, record)) == len(sent) <= answered
        assert sums(engine, record.id)["outstanding"] == sum(
            b.failed_items for b in settled_batches(engine, record)
        )

        again = collect_process(url, period, beijing(day, 10, 30))
        out, err = again.communicate(timeout=300)
        said = " ".join(out.decode().split())
        assert again.returncode == 0, err.decode()
        assert f"{debits - len(sent)} batch(es) sent now" in said, said
        assert "every charge is sent" in said, said
        redone = no_member_debited_twice(engine, record)
        assert redone[: len(sent)] == sent, "a batch sent before the kill changed"
        final = sums(engine, record.id)
        with engine.connect() as conn:
            waived = conn.scalars(
                select(failures.c.membership_id).where(
                    failures.c.round_id == record.id, failures.c.status == "waived"
                )
            )
            assert set(waived) == set(leavers)  # exactly those who left after the lock
        assert (final["waived"], final["waived_fen"]) == (LEAVERS, LEAVERS * CHARGE)
        assert (final["waived_credits"], final["waived_credits_fen"]) == (LEAVERS, LEAVERS * CHARGE)
        assert sum(int(b["items"]) for b in redone) + LEAVERS == final["charged"]
        assert (
            sum(int(b["amount"]) for b in redone) + final["waived_fen"] == record.figures.collected
        )
        assert len(redone) == debits

        collected, outstanding = answer_and_reconcile(engine, record, debits)
        cash, owed = cash + collected, owed + outstanding
        assert balance(engine, "gateway-clearing") == 0
        assert balance(engine, "cash") == cash
        assert balance(engine, "member-funds") == owed
        audit_passes(engine)
        print(
            f"{period}: aim {aim}, exit {victim.returncode} after {killed_after:.2f}s with "
            f"{len(sent)} of {debits} batches sent; a batch takes {batch_time * 1000:.0f} ms"
        )
    watcher.dispose()
    assert mid_run_kills >= 3, f"only {mid_run_kills} of 4 kills landed while collecting"
