"""SQLite under concurrent load (issue 10, section 3): readers and writers against a live server.

1. Makes a fresh SQLite file in a temporary directory, migrates it, installs the plan templates and
   creates one signed-in account per join it may need (sessions opened through the services, no
   password hash).
2. Starts `uvicorn huzhu.api.main:app` (one worker, the `huzhu serve` entry point) on 127.0.0.1.
3. For `--duration` seconds, `--readers` clients loop `GET /v1/plans/xiang-hu-bao` unauthenticated
   and `--writers` clients loop joins: a new account joins `xiang-hu-bao` with its identity inline
   and an Idempotency-Key (`POST /v1/memberships`, the general path: one write transaction that
   writes the person, the membership, its events, the audit log and the idempotency key).
   Each client keeps one connection and has at most one request in flight.
4. Prints, per kind: requests, requests/s, p50 and p99 latency, 5xx and other non-2xx answers, and
   checks that the database holds exactly one membership per successful join. Exits 1 on any 5xx,
   on any client error or on a mismatch.

    .venv/bin/python bench/sqlite_load.py                       # 200 readers, 20 writers, 20 s
    .venv/bin/python bench/sqlite_load.py --readers 50 --writers 5 --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text

from huzhu.domain.access import Role
from huzhu.domain.identity import make_resident_id
from huzhu.services.accounts.service import open_session
from huzhu.services.plans.service import install_templates
from huzhu.storage.engine import make_engine, migrate
from huzhu.storage.uow import UnitOfWork

PLAN = "xiang-hu-bao"
HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
JOINS_PER_WRITER_PER_S = 10  # accounts made per writer and second; a writer stops when out


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def note(self, status: int, seconds: float) -> None:
        self.latencies.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def count(self, low: int, high: int) -> int:
        return sum(n for s, n in self.statuses.items() if low <= s < high)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def prepare(engine: Engine, accounts: int) -> tuple[list[str], dict[str, bool]]:
    """Schema, templates, and `accounts` member sessions; returns their tokens and the answers a
    healthy applicant gives."""
    migrate(engine)
    now = datetime.now(UTC)
    tokens: list[str] = []
    with UnitOfWork(engine) as uow:
        install_templates(uow, now)
        for _ in range(accounts):
            account_id = uow.accounts.add(now=now, roles=frozenset({Role.MEMBER}))
            issued = open_session(uow, account_id, now, cookie=False, ttl=timedelta(days=1))
            tokens.append(issued.token)
        plan = uow.plans.get(PLAN)
        uow.commit()
    answers = {q.id: q.required_answer for q in plan.eligibility.health_declaration}
    return tokens, answers


def join_body(i: int, answers: dict[str, bool]) -> dict[str, Any]:
    # A distinct, valid resident ID per join: the birth date walks over the days of 1980-1999.
    birth = date(1980, 1, 1) + timedelta(days=(i // 1000) % 7000)
    person = {"id_number": make_resident_id("110105", birth, i % 1000), "name": "张伟"}
    return {"plan_id": PLAN, "health_answers": answers, "person": person}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HUZHU_DATABASE_URL": url,
        "HUZHU_JOIN_LIMIT": "100000/minute",
        "HUZHU_SIGN_IN_LIMIT": "100000/minute",
    }
    cmd = [
        sys.executable, "-m", "uvicorn", "huzhu.api.main:app", "--host", HOST,
        "--port", str(port), "--no-access-log", "--log-level", "warning",
        # Longer than any wait here: uvicorn's 5 s default closes a pooled connection just as the
        # client reuses it, a client-side ReadError that says nothing about the server.
        "--timeout-keep-alive", "120",
    ]  # fmt: skip
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log.read_text()}")
        with suppress(httpx.HTTPError):
            if httpx.get(f"http://{HOST}:{port}/v1/plans/{PLAN}", timeout=5).status_code == 200:
                return proc
        time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError("the server did not answer within 60 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # our own process group only
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


async def drive(
    base: str, args: argparse.Namespace, tokens: list[str], answers: dict[str, bool]
) -> tuple[Tally, Tally, list[int], float]:
    reads, writes = Tally(), Tally()
    joined: list[int] = []
    queue = iter(range(len(tokens)))
    limits = httpx.Limits(max_connections=args.readers + args.writers + 10)
    async with httpx.AsyncClient(base_url=base, timeout=args.timeout, limits=limits) as client:
        start = time.perf_counter()
        end = start + args.duration

        async def reader() -> None:
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                try:
                    r = await client.get(f"/v1/plans/{PLAN}")
                except httpx.HTTPError as e:
                    reads.errors.append(repr(e))
                    continue
                reads.note(r.status_code, time.perf_counter() - t0)

        async def writer() -> None:
            while time.perf_counter() < end:
                i = next(queue, None)
                if i is None:
                    writes.errors.append("out of accounts: raise JOINS_PER_WRITER_PER_S")
                    return
                headers = {"Authorization": f"Bearer {tokens[i]}", "Idempotency-Key": f"b-{i}"}
                t0 = time.perf_counter()
                try:
                    r = await client.post(
                        "/v1/memberships", json=join_body(i, answers), headers=headers
                    )
                except httpx.HTTPError as e:
                    writes.errors.append(repr(e))
                    continue
                writes.note(r.status_code, time.perf_counter() - t0)
                if r.status_code == 201:
                    joined.append(int(r.json()["membership"]["id"]))
                elif r.status_code >= 500:
                    writes.errors.append(r.text[:300])

        tasks = [reader() for _ in range(args.readers)] + [writer() for _ in range(args.writers)]
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    return reads, writes, joined, elapsed


def report(name: str, tally: Tally, elapsed: float) -> None:
    n = len(tally.latencies)
    print(
        f"{name:7} {n:7d} req  {n / elapsed:8.1f} req/s  "
        f"p50 {percentile(tally.latencies, 0.50) * 1000:7.1f} ms  "
        f"p99 {percentile(tally.latencies, 0.99) * 1000:7.1f} ms  "
        f"5xx {tally.count(500, 600)}  other non-2xx {tally.count(300, 500)}  "
        f"client errors {len(tally.errors)}"
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--readers", type=int, default=200)
    p.add_argument("--writers", type=int, default=20)
    p.add_argument("--duration", type=float, default=20.0, help="seconds of load")
    p.add_argument("--timeout", type=float, default=60.0, help="per request, seconds")
    args = p.parse_args()

    with tempfile.TemporaryDirectory(prefix="huzhu-sqlite-load-") as tmp:
        url = f"sqlite:///{tmp}/huzhu.db"
        engine = make_engine(url)
        accounts = int(args.writers * args.duration * JOINS_PER_WRITER_PER_S) + args.writers
        tokens, answers = prepare(engine, accounts)
        print(
            f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs "
            f"(shared), {platform.platform()}; Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}"
        )
        print(
            f"load: {args.readers} readers (GET /v1/plans/{PLAN}), {args.writers} writers "
            f"(POST /v1/memberships, a new account each), {args.duration:.0f} s, one uvicorn "
            f"worker, client and server on one machine over loopback"
        )
        port = free_port()
        server = start_server(url, port, Path(tmp) / "server.log")
        try:
            reads, writes, joined, elapsed = asyncio.run(
                drive(f"http://{HOST}:{port}", args, tokens, answers)
            )
        finally:
            stop_server(server)
        with engine.connect() as conn:
            stored = int(conn.scalar(text("SELECT count(*) FROM memberships")) or 0)
        engine.dispose()
    report("reads", reads, elapsed)
    report("writes", writes, elapsed)
    print(f"memberships stored {stored}, joins answered 201: {len(joined)}")
    for error in (reads.errors + writes.errors)[:5]:
        print("  error:", error)
    failed = reads.count(500, 600) + writes.count(500, 600) + len(reads.errors) + len(writes.errors)
    if failed or stored != len(joined) or len(set(joined)) != len(joined):
        print("FAIL")
        return 1
    print("OK: no 5xx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
