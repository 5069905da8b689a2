"""A round killed with SIGKILL at any moment is either not started or complete, never half-charged,
and running it again charges nobody twice. Real processes, really killed, on both databases."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from helpers import install
from huzhu.domain.plan_fields import CHINA_TZ
from huzhu.services.audit.service import audit
from huzhu.simulation.seed import seed_approved_claim, seed_members
from huzhu.storage.tables import member_charges, rounds
from huzhu.storage.uow import UnitOfWork

MEMBERS = 150_000
HUZHU = str(Path(sys.executable).parent / "huzhu")
# Announcement days of xiang-hu-bao: one fresh period per attempt (a probe, then up to 9 kills).
PERIODS = [date(2026, m, d) for m in (3, 4, 5, 6, 7) for d in (7, 21)]
# Where to aim each kill, as a share of the round's work after start-up.
AIMS = (0.1, 0.3, 0.5, 0.7, 0.85)
WANTED_KILLS = len(AIMS)


def charged(engine: Engine, period: date) -> tuple[int, int, int]:
    """(rounds for the period, its charge rows, their total)."""
    with engine.connect() as conn:
        round_id = conn.scalar(select(rounds.c.id).where(rounds.c.announce_date == period))
        if round_id is None:
            # Not started: then no charge may exist outside a recorded round.
            rows, total = conn.execute(
                select(func.count(), func.coalesce(func.sum(member_charges.c.amount), 0)).where(
                    member_charges.c.round_id.not_in(select(rounds.c.id))
                )
            ).one()
            return 0, int(rows), int(total)
        rows, total = conn.execute(
            select(func.count(), func.coalesce(func.sum(member_charges.c.amount), 0)).where(
                member_charges.c.round_id == round_id
            )
        ).one()
    return 1, int(rows), int(total)


def run_round_process(url: str, period: date) -> subprocess.Popen[bytes]:
    now = datetime.combine(period, datetime.min.time(), CHINA_TZ) + timedelta(hours=9)
    return subprocess.Popen(
        [HUZHU, "--database", url, "--now", now.isoformat(), "rounds", "run",
         "--plan", "xiang-hu-bao", "--date", period.isoformat()],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip


def audit_passes(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        report = audit(uow)
    assert report.ok, [c.problems for c in report.checks if not c.ok]


def test_a_round_killed_at_any_moment_is_not_started_or_complete(
    engine: Engine, database_url: str
) -> None:
    joined = datetime(2025, 6, 1, 9, tzinfo=CHINA_TZ)
    install(engine, joined)
    seed_members(engine, "xiang-hu-bao", MEMBERS, joined)
    for i, period in enumerate(PERIODS, start=1):
        decided = datetime.combine(period, datetime.min.time(), CHINA_TZ) - timedelta(days=2)
        seed_approved_claim(engine, "xiang-hu-bao", i, 10_000_000, decided)
    # How long the process takes to start, and an uninterrupted round, tell where to aim the
    # kills: inside the round's work, not in Python's start-up.
    started = time.monotonic()
    subprocess.run([HUZHU, "--database", database_url, "plans", "list"], check=True,
                   capture_output=True)  # fmt: skip
    startup = time.monotonic() - started
    started = time.monotonic()
    probe = run_round_process(database_url, PERIODS[0])
    assert probe.wait(timeout=300) == 0, probe.stderr.read() if probe.stderr else b""
    full = time.monotonic() - started
    work = max(full - startup, 0.05)
    assert charged(engine, PERIODS[0])[:2] == (1, MEMBERS)
    kills = 0
    # A busy machine starts processes faster or slower than the probe did: a run that finished
    # before its kill aims the next ones earlier, until enough kills have landed.
    scale = 1.0
    for attempt, period in enumerate(PERIODS[1:]):
        if kills >= WANTED_KILLS:
            break
        victim = run_round_process(database_url, period)
        time.sleep(scale * (startup + work * AIMS[attempt % len(AIMS)]))
        if victim.poll() is None:
            os.kill(victim.pid, signal.SIGKILL)
            kills += 1
        else:
            scale *= 0.7
        victim.wait(timeout=60)
        found, rows, total = charged(engine, period)
        # Not started (no round and no stray charges) or complete (every member, once).
        assert (found, rows) in ((0, 0), (1, MEMBERS)), (found, rows)
        audit_passes(engine)
        again = run_round_process(database_url, period)
        assert again.wait(timeout=300) == 0, again.stderr.read() if again.stderr else b""
        found, rows, total = charged(engine, period)
        assert (found, rows, total) == (1, MEMBERS, MEMBERS * 10)  # 0.1 yuan cap per case
        audit_passes(engine)
    assert kills >= 3, (
        f"only {kills} runs were still going when killed ({startup:.2f}s + {work:.2f}s)"
    )
