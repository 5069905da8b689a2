"""Console page speed: dashboard, claim queue and member lookup, server time, p50/p99.

Seeds `--members` members into xiang-hu-bao with set-based SQL (simulation/seed.py), runs
`--rounds` rounds with one approved claim each (as bench/round_scale.py does), then times each
page in-process through the ASGI app (what the server spends, no network) with an operator's
cookie session. Issue 12 asks: dashboard <= 300 ms p99; claim queue and member lookup <= 100 ms.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from round_scale import announce_dates, machine
from sqlalchemy import Engine, text

from huzhu.api.app import create_app
from huzhu.api.deps import CSRF_COOKIE, SESSION_COOKIE
from huzhu.api.settings import Settings
from huzhu.domain.access import Role
from huzhu.domain.plan_fields import CHINA_TZ
from huzhu.services.accounts.service import open_session
from huzhu.services.plans.service import install_templates
from huzhu.services.rounds.service import run_round
from huzhu.simulation.seed import seed_approved_claim, seed_members
from huzhu.storage.engine import make_engine, migrate
from huzhu.storage.uow import UnitOfWork

DB = "huzhu_bench_console"  # its own database: never another bench's
SQLITE_PATH = Path("/tmp/huzhu-bench-console.db")


def fresh_engine(db: str, reuse: bool = False) -> Engine:
    if reuse:  # the data a previous run built: its members, rounds and operator
        if db == "postgresql":
            return make_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB}")
        return make_engine(f"sqlite:///{SQLITE_PATH}")
    if db == "postgresql":
        admin = make_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                            isolation_level="AUTOCOMMIT")  # fmt: skip
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {DB}"))
        admin.dispose()
        return make_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB}")
    SQLITE_PATH.unlink(missing_ok=True)
    return make_engine(f"sqlite:///{SQLITE_PATH}")


def timed(client: TestClient, path: str, samples: int) -> tuple[float, float, float]:
    """p50 and p99 wall time, and the p99 of this process's CPU time (PostgreSQL's own CPU is
    not in it: on a loaded machine the wall time also counts the wait for a core)."""
    client.get(path)  # warm: templates compiled, plan cache filled
    spent, cpu = [], []
    for _ in range(samples):
        t0, c0 = time.perf_counter(), time.process_time()
        r = client.get(path)
        spent.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        assert r.status_code == 200, (path, r.status_code)
    spent.sort()
    cpu.sort()
    at = min(len(spent) - 1, int(len(spent) * 0.99))
    return statistics.median(spent), spent[at], cpu[at]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["postgresql", "sqlite"], required=True)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=24)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--reuse", action="store_true", help="time the data of the last run")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    engine = fresh_engine(args.db, args.reuse)
    migrate(engine)
    if args.reuse:
        timed_pages(engine, args.samples, *last_setup(engine))
        return
    joined = datetime(2026, 6, 1, 9, tzinfo=CHINA_TZ)
    with UnitOfWork(engine) as uow:
        install_templates(uow, joined)
        uow.commit()
    t0 = time.perf_counter()
    seed_members(engine, "xiang-hu-bao", args.members, joined)
    print(f"seeded {args.members:,} members in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    now = joined
    for n, day in enumerate(announce_dates(args.rounds), start=1):
        decided = datetime.combine(day, datetime.min.time(), CHINA_TZ) - timedelta(days=2)
        seed_approved_claim(engine, "xiang-hu-bao", n, 10_000_000, decided)
        now = datetime.combine(day, datetime.min.time(), CHINA_TZ) + timedelta(hours=1)
        with UnitOfWork(engine) as uow:
            run_round(uow, "xiang-hu-bao", day, now)
            uow.commit()
    print(f"ran {args.rounds} rounds in {time.perf_counter() - t0:.1f} s")
    timed_pages(engine, args.samples, now)


def last_setup(engine: Engine) -> tuple[datetime]:
    """The clock of the run that built the data: an hour after its last round's announcement."""
    with UnitOfWork(engine) as uow:
        [last] = uow.rounds.recent("xiang-hu-bao", limit=1)
    return (
        datetime.combine(last.announce_date, datetime.min.time(), CHINA_TZ) + timedelta(hours=1),
    )


def timed_pages(engine: Engine, samples: int, now: datetime) -> None:
    with UnitOfWork(engine) as uow:
        account = uow.accounts.add(now=now, roles=frozenset({Role.OPERATOR}))
        issued = open_session(uow, account, now, cookie=True, ttl=timedelta(days=3650))
        uow.commit()
    app = create_app(Settings(session_ttl=timedelta(days=3650)), engine)
    app.state.clock = lambda: now
    # As the server does (huzhu.api.app, `serving`): what is loaded by now lives as long as the
    # process, so keep it out of the collector's full passes. Without this a full collection
    # walks everything the seeding left behind: 140 ms of CPU in one request in a hundred.
    gc.freeze()
    with TestClient(app) as client:
        client.cookies.set(SESSION_COOKIE, issued.token)
        client.cookies.set(CSRF_COOKIE, issued.csrf_token or "")
        pages = {
            "dashboard": "/console/dashboard",
            "claim queue": "/console/claims?state=shared",
            "lookup by ID number": f"/console/members?kind=id_number&q={'P' + '0' * 16 + '77'}",
            "lookup by name": "/console/members?kind=name&q=seeded",
            "lookup by membership": "/console/members?kind=membership&q=500000",
        }
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        print(f"{'page':<22} {'p50 ms':>8} {'p99 ms':>8} {'cpu p99':>8}  ({samples} samples)")
        for name, path in pages.items():
            p50, p99, cpu99 = timed(client, path, samples)
            print(f"{name:<22} {p50:8.1f} {p99:8.1f} {cpu99:8.1f}")
        print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
