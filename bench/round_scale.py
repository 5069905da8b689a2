"""Benchmark: a full apportionment round at scale, on PostgreSQL or SQLite.

A full round = age-out, lock the headcount, take the approved claims, compute the share, write every
member's charge (the subsidiary ledger) with its annual-cap running total, post the round's ledger
transaction and publish the summary (the round row and the public record entry): `run_round`, the
same code `huzhu rounds run` uses.

    .venv/bin/python bench/round_scale.py --db postgresql --members 1000000 --rounds 2
    .venv/bin/python bench/round_scale.py --db sqlite --members 10000000 --rounds 24

It seeds N members into a fresh database with set-based SQL (seeded rows skip the per-person checks
that `huzhu members import` runs), approves one claim per round, runs the rounds one after another,
and prints members/s per round, peak memory of this process, bytes of disk per member-round
(charges table and its index) and the latency of members' statements over the whole history.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, text

from huzhu.domain.plan_fields import CHINA_TZ
from huzhu.services.members.statement import statement
from huzhu.services.plans.service import install_templates
from huzhu.services.rounds.service import run_round
from huzhu.simulation.seed import seed_approved_claim, seed_members
from huzhu.storage.engine import make_engine, migrate
from huzhu.storage.uow import UnitOfWork

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/huzhu_bench_round"
SQLITE_PATH = Path("/tmp/huzhu_bench_round.db")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {cpu}, {mem_gb:.0f} GiB RAM, {platform.python_version()}"


def fresh_engine(db: str) -> Engine:
    if db == "postgresql":
        admin = make_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                            isolation_level="AUTOCOMMIT")  # fmt: skip
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS huzhu_bench_round WITH (FORCE)"))
            conn.execute(text("CREATE DATABASE huzhu_bench_round"))
        admin.dispose()
        return make_engine(PG_URL)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
    return make_engine(f"sqlite:///{SQLITE_PATH}")


def charges_bytes(engine: Engine, db: str, round_id: int) -> int:
    with engine.connect() as conn:
        if db == "postgresql":
            value = conn.scalar(
                text(f"SELECT pg_total_relation_size('member_charges_r{round_id}')")
            )
            return int(value or 0)
        return 0


def sqlite_size(engine: Engine) -> int:
    raw = engine.raw_connection()  # outside any transaction, so the checkpoint can run
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
    return SQLITE_PATH.stat().st_size


def announce_dates(count: int) -> list[date]:
    days = []
    month = date(2027, 1, 1)
    while len(days) < count:
        days += [month.replace(day=7), month.replace(day=21)]
        month = (month + timedelta(days=32)).replace(day=1)
    return days[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["postgresql", "sqlite"], required=True)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--statements", type=int, default=100, help="statement samples")
    args = parser.parse_args()

    print(f"machine: {machine()}")
    engine = fresh_engine(args.db)
    with engine.connect() as conn:
        version = conn.exec_driver_sql(
            "SELECT version()"
            if args.db == "postgresql"
            else "SELECT 'SQLite ' || sqlite_version()"
        ).scalar()
    print(f"database: {version}")
    migrate(engine)
    joined = datetime(2026, 6, 1, 9, tzinfo=CHINA_TZ)
    with UnitOfWork(engine) as uow:
        install_templates(uow, joined)
        uow.commit()
    started = time.perf_counter()
    seed_members(engine, "xiang-hu-bao", args.members, joined)
    print(
        f"seeded {args.members:,} members of xiang-hu-bao in {time.perf_counter() - started:.1f} s"
    )

    size_before = sqlite_size(engine) if args.db == "sqlite" else 0
    total_rows = 0
    for n, day in enumerate(announce_dates(args.rounds), start=1):
        decided = datetime.combine(day, datetime.min.time(), CHINA_TZ) - timedelta(days=2)
        seed_approved_claim(engine, "xiang-hu-bao", n, 10_000_000, decided)
        now = datetime.combine(day, datetime.min.time(), CHINA_TZ) + timedelta(hours=1)
        t0 = time.perf_counter()
        with UnitOfWork(engine) as uow:
            outcome = run_round(uow, "xiang-hu-bao", day, now)
            uow.commit()
        elapsed = time.perf_counter() - t0
        r = outcome.round
        rows = r.figures.members
        total_rows += rows
        per_row = ""
        if args.db == "postgresql":
            per_row = f", {charges_bytes(engine, args.db, r.id) / max(rows, 1):.1f} B/member-round"
        print(
            f"round {n:2d} {day}: {r.figures.members:,} members, share {r.figures.share} fen, "
            f"collected {r.figures.collected:,} fen in {elapsed:.2f} s = "
            f"{r.figures.members / elapsed:,.0f} members/s{per_row}"
            f" (charges written by {outcome.charges_written_by})"
        )
    if args.db == "sqlite":
        grown = sqlite_size(engine) - size_before
        print(
            f"sqlite file grew {grown / 2**20:,.0f} MiB = {grown / total_rows:.1f} B/member-round"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:,.0f} MiB")

    rng = random.Random(7)
    samples = []
    for _ in range(args.statements):
        membership_id = rng.randint(1, args.members)
        t0 = time.perf_counter()
        with UnitOfWork(engine) as uow:
            s = statement(uow, membership_id, datetime.now(UTC))
        samples.append((time.perf_counter() - t0) * 1000)
        assert len(s.lines) == args.rounds or membership_id <= args.rounds
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(
        f"statement over {args.rounds} rounds: p50 {statistics.median(samples):.1f} ms, "
        f"p99 {p99:.1f} ms ({len(samples)} members)"
    )


if __name__ == "__main__":
    main()
