"""HTTP load benchmark of the join endpoint (POST /v1/memberships) on PostgreSQL.

What it does, in order:

1. Creates (if missing) and migrates a dedicated database, installs the plan templates, and seeds
   `--members` members (1,000,000 by default) into `xiang-hu-bao` with set-based SQL. Seeding is
   skipped when they are already there.
2. Pre-creates the accounts that will join, each with a bearer session (token `bench-<i>`, stored as
   its SHA-256 like any session) and the member role, and writes every request (token, key, body)
   to files that the load generator walks: each request is a new account joining with its own
   valid resident ID number.
3. For each server configuration (uvicorn workers x event loop / HTTP parser), starts two bare
   FastAPI endpoints that insert one row (`bench/bare_insert_app.py`, sync on huzhu's stack, and
   `bench/bare_async_app.py`, async on a psycopg pool) and then huzhu's API, each on
   127.0.0.1 as a subprocess, warms it up and drives it with wrk for a bounded time.
4. Checks that the memberships created equal the 201s received (an answer cut off by the end of
   the run is fetched again with the same Idempotency-Key, which must replay the stored result),
   stops the servers and prints a report.

Traffic goes to 127.0.0.1 only, and every run is bounded in time (`--duration`) and in count (the
pre-computed requests). Needs `wrk` (Debian package `wrk`).

    .venv/bin/python bench/join_load.py                 # the full matrix, about 6 minutes
    .venv/bin/python bench/join_load.py --workers 2 --stacks fast --duration 20
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from huzhu.domain.identity import make_resident_id, parse_resident_id
from huzhu.services.plans.service import install_templates
from huzhu.storage.engine import database_url, make_engine, migrate
from huzhu.storage.uow import UnitOfWork

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PLAN = "xiang-hu-bao"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/huzhu_bench"
HOST = "127.0.0.1"
# The plan's health declaration, answered so that everyone is eligible.
HEALTH = {"no-current-critical-illness": False, "no-pending-tests": False}
SEED_CHUNK = 250_000
TARGET_JOINS_PER_S = 2000
TARGET_P99_MS = 50.0
TARGET_RATIO = 0.7

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静秀强磊军洋勇艳杰娟涛明超霞平刚"


# --- the machine -------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def source_state() -> str:
    """The commit measured, and whether src/ had uncommitted changes."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "src")
    return head + (" with uncommitted changes in src/" if dirty else "")


def versions() -> dict[str, str]:
    found = {}
    for name in ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "sqlalchemy", "psycopg"):
        try:
            from importlib.metadata import version

            found[name] = version(name)
        except Exception:
            found[name] = "-"
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    found["wrk"] = (wrk.stdout + wrk.stderr).split("[")[0].replace("wrk", "").strip() or "?"
    return found


# --- the database ------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
            ):
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()


BENCH_DDL = [
    "CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value bigint NOT NULL)",
    # Joining account i (token 'bench-<i>') is accounts.id = account_id.
    "CREATE TABLE IF NOT EXISTS bench_accounts (i bigint PRIMARY KEY, account_id bigint NOT NULL)",
    # The check character of a resident ID number (ISO 7064 MOD 11-2), as in huzhu.domain.identity.
    """
    CREATE OR REPLACE FUNCTION bench_id_check(f text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT substr('10X98765432',
                    (SELECT sum(substr(f, k, 1)::int * ((2 ^ (18 - k))::bigint % 11))
                       FROM generate_series(1, 17) AS k)::int % 11 + 1, 1)
    $$
    """,
    # What bench/bare_insert_app.py writes (it creates the same table if it is missing).
    """
    CREATE TABLE IF NOT EXISTS bench_bare_inserts (
      id bigserial PRIMARY KEY,
      idempotency_key varchar(200),
      plan_id varchar(64) NOT NULL,
      id_number varchar(32) NOT NULL,
      name varchar(100) NOT NULL,
      created_at timestamptz NOT NULL
    )
    """,
]


def meta(conn: Any, key: str) -> int:
    return int(conn.scalar(text("SELECT value FROM bench_meta WHERE key = :k"), {"k": key}) or 0)


def set_meta(conn: Any, key: str, value: int) -> None:
    conn.execute(
        text(
            "INSERT INTO bench_meta (key, value) VALUES (:k, :v) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
        ),
        {"k": key, "v": value},
    )


def prepare(engine: Engine) -> int:
    """Migrate, install the templates and the benchmark's own tables; the plan's version."""
    migrate(engine)
    with UnitOfWork(engine) as uow:
        install_templates(uow, datetime.now(UTC))
        uow.commit()
    with engine.begin() as conn:
        for ddl in BENCH_DDL:
            conn.execute(text(ddl))
        latest = "SELECT max(version) FROM plan_versions WHERE plan_id = :p"
        return int(conn.scalar(text(latest), {"p": PLAN}))


SEED_SQL = """
WITH src AS (
  SELECT i, b,
         (110101 + (i / 1000000) % 900)::text || to_char(b, 'YYYYMMDD')
           || lpad((i % 1000)::text, 3, '0') AS f
    FROM (SELECT i, date '1967-01-01' + ((i / 1000) % 1000)::int * 10 AS b
            FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint) - 1) AS i) AS g
), p AS (
  INSERT INTO people (id_type, id_number, name, birth_date, sex, province_code, labels,
                      created_at)
  SELECT 'resident-id', f || bench_id_check(f), 'seed-' || i, b,
         CASE WHEN i % 2 = 1 THEN 'M' ELSE 'F' END, '11', '[]'::json, :at
    FROM src
  RETURNING id, birth_date
), m AS (
  INSERT INTO memberships (plan_id, person_id, plan_version, joined_at, lifecycle, exit_on)
  SELECT :plan, id, :version, :at, 'active',
         CASE WHEN to_char(birth_date, 'MMDD') = '0229'
              THEN make_date(extract(year FROM birth_date)::int + 60, 3, 1)
              ELSE (birth_date + interval '60 years')::date END
    FROM p
  RETURNING id, joined_at
)
INSERT INTO membership_events (membership_id, at, from_state, to_state, reason)
SELECT id, joined_at, NULL, 'active', 'joined' FROM m
"""


def seed_members(engine: Engine, members: int, version: int) -> float:
    """Seed members into the plan with set-based SQL; skipped when they are there already."""
    started = time.monotonic()
    with engine.begin() as conn:
        seeded = meta(conn, "seeded")
    if seeded >= members:
        return 0.0
    at = datetime.now(UTC) - timedelta(days=400)
    print(f"seeding {members - seeded:,} members into {PLAN} ...", flush=True)
    while seeded < members:
        hi = min(seeded + SEED_CHUNK, members)
        with engine.begin() as conn:
            conn.execute(
                text(SEED_SQL),
                {"lo": seeded, "hi": hi, "at": at, "plan": PLAN, "version": version},
            )
            set_meta(conn, "seeded", hi)
        seeded = hi
        print(f"  {seeded:,} seeded ({time.monotonic() - started:.0f} s)", flush=True)
    # The SQL check character must agree with the domain's.
    with engine.connect() as conn:
        for number in conn.scalars(
            text("SELECT id_number FROM people WHERE name LIKE 'seed-%' ORDER BY id LIMIT 50")
        ):
            parse_resident_id(number)
    vacuum(engine)
    return time.monotonic() - started


def vacuum(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def ensure_accounts(engine: Engine, upto: int) -> None:
    """Accounts 0..upto-1 exist, each with a bearer session 'bench-<i>' and the member role."""
    with engine.begin() as conn:
        have = meta(conn, "accounts")
    if have >= upto:
        return
    started = time.monotonic()
    while have < upto:
        hi = min(have + SEED_CHUNK, upto)
        with engine.begin() as conn:
            conn.execute(
                text(
                    """
                    WITH a AS (
                      INSERT INTO accounts (username, created_at)
                      SELECT 'bench-' || i, now()
                        FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint) - 1) AS i
                      RETURNING id, username
                    ), r AS (
                      INSERT INTO account_roles (account_id, role) SELECT id, 'member' FROM a
                    ), s AS (
                      INSERT INTO auth_sessions (account_id, token_hash, kind, created_at,
                                                 expires_at)
                      SELECT id, encode(sha256(convert_to(username, 'UTF8')), 'hex'), 'bearer',
                             now(), now() + interval '10 years'
                        FROM a
                    )
                    INSERT INTO bench_accounts (i, account_id)
                    SELECT substr(username, 7)::bigint, id FROM a
                    """
                ),
                {"lo": have, "hi": hi},
            )
            set_meta(conn, "accounts", hi)
        have = hi
    print(f"  accounts ready up to {upto:,} ({time.monotonic() - started:.0f} s)", flush=True)


def allocate(engine: Engine, key: str, count: int) -> int:
    with engine.begin() as conn:
        lo = meta(conn, key)
        set_meta(conn, key, lo + count)
    return lo


def release_unsent(engine: Engine, key: str, lo: int, used_upto: int) -> None:
    """Give back the tail of an allocation that was never sent, so later runs reuse it."""
    with engine.begin() as conn:
        if meta(conn, key) > used_upto >= lo:
            set_meta(conn, key, used_upto)


def live_members(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(
                text("SELECT count(*) FROM memberships WHERE plan_id = :p AND lifecycle <> 'left'"),
                {"p": PLAN},
            )
        )


def plan_memberships(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(text("SELECT count(*) FROM memberships WHERE plan_id = :p"), {"p": PLAN})
        )


def checkpoint(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("CHECKPOINT"))


def pg_version(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.scalar(text("SHOW server_version")))


def pg_settings(engine: Engine) -> dict[str, str]:
    names = ("max_connections", "shared_buffers", "synchronous_commit", "fsync")
    with engine.connect() as conn:
        return {n: str(conn.scalar(text(f"SHOW {n}"))) for n in names}


# --- the requests ------------------------------------------------------------------------------


def person_for(i: int, region_base: int) -> tuple[str, str]:
    """A unique, valid resident ID number and a name for joiner i."""
    region = str(region_base + (i // 1_000_000) % 900)
    birth = date(1975, 1, 1) + timedelta(days=((i // 1000) % 1000) * 7)
    number = make_resident_id(region, birth, i % 1000)
    name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 20) % len(GIVEN)]
    return number, name


def join_line(i: int) -> tuple[str, str, str]:
    """(bearer token, Idempotency-Key, body) of joiner i."""
    number, name = person_for(i, 310101)
    person = {"id_number": number, "name": name}
    body = {"plan_id": PLAN, "health_answers": HEALTH, "person": person}
    return f"bench-{i}", f"join-{i}", json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def bare_line(i: int) -> tuple[str, str, str]:
    number, name = person_for(i, 440101)
    person = {"id_number": number, "name": name}
    body = {"plan_id": PLAN, "health_answers": HEALTH, "person": person}
    # Same header sizes as a join; the bare endpoint ignores the token.
    return f"bench-{i}", f"bare-{i}", json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def write_requests(prefix: Path, lo: int, per_thread: int, threads: int, bare: bool) -> None:
    line = bare_line if bare else join_line
    for t in range(threads):
        start = lo + t * per_thread
        with open(f"{prefix}.{t}", "w", encoding="utf-8") as f:
            f.writelines("\t".join(line(i)) + "\n" for i in range(start, start + per_thread))


# --- servers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stack:
    name: str
    args: tuple[str, ...]


def stacks(wanted: Sequence[str]) -> list[Stack]:
    have_fast = all(_importable(m) for m in ("uvloop", "httptools"))
    out = []
    for name in wanted:
        if name == "fast":
            if not have_fast:
                print("uvloop/httptools not installed: skipping the 'fast' stack", file=sys.stderr)
                continue
            out.append(Stack("uvloop+httptools", ("--loop", "uvloop", "--http", "httptools")))
        elif name == "default":
            out.append(Stack("asyncio+h11", ("--loop", "asyncio", "--http", "h11")))
        else:
            raise SystemExit(f"unknown stack {name!r}: use fast or default")
    return out


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


class Server:
    """A uvicorn subprocess in its own process group, on 127.0.0.1."""

    def __init__(
        self, app: str, port: int, workers: int, stack: Stack, env: dict[str, str], log: Path
    ) -> None:
        self.port = port
        self.base = f"http://{HOST}:{port}"
        cmd = [
            sys.executable, "-m", "uvicorn", app,
            "--host", HOST, "--port", str(port), "--workers", str(workers),
            *stack.args, "--no-access-log", "--log-level", "warning",
            "--app-dir", str(BENCH),
        ]  # fmt: skip
        self.log = log
        self._log_file = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=REPO,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, path: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early: see {self.log}\n{self.log.read_text()}")
            with suppress(httpx.HTTPError):
                if httpx.get(self.base + path, timeout=5).status_code == 200:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"server on port {self.port} not ready after {timeout:.0f} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            # Only our own process group: the uvicorn we started and its workers.
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log_file.close()


@contextmanager
def serving(
    app: str, port: int, workers: int, stack: Stack, env: dict[str, str], log: Path, ready: str
) -> Iterator[Server]:
    server = Server(app, port, workers, stack, env, log)
    try:
        server.wait_ready(ready)
        yield server
    finally:
        server.stop()


# --- CPU accounting ----------------------------------------------------------------------------


def _busy_jiffies() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def machine_busy(seconds: float = 2.0) -> float:
    """Cores busy over a short window (0 on an idle machine, nproc when saturated)."""
    b0, t0 = _busy_jiffies()
    time.sleep(seconds)
    b1, t1 = _busy_jiffies()
    return (b1 - b0) / max(1, t1 - t0) * (os.cpu_count() or 1)


def wait_until_idle(limit: float, max_busy: float = 0.15) -> float:
    """Wait (at most `limit` s) until other work on the machine has stopped; the last reading."""
    deadline = time.monotonic() + limit
    busy = machine_busy()
    warned = False
    while busy > max_busy and time.monotonic() < deadline:
        if not warned:
            print(f"  the machine is busy ({busy:.2f} cores in use): waiting ...", flush=True)
            warned = True
        busy = machine_busy(3.0)
    return busy


def _proc_cpu() -> dict[int, tuple[str, int, float]]:
    """pid -> (comm, process group, CPU seconds) for every process we can read."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with suppress(OSError, ValueError, IndexError):
            raw = Path(entry.path, "stat").read_text()
            comm = raw[raw.index("(") + 1 : raw.rindex(")")]
            rest = raw[raw.rindex(")") + 2 :].split()
            out[int(entry.name)] = (comm, int(rest[2]), (int(rest[11]) + int(rest[12])) / tick)
    return out


def cpu_split(
    before: dict[int, tuple[str, int, float]],
    after: dict[int, tuple[str, int, float]],
    server_pgid: int,
) -> dict[str, float]:
    split: dict[str, float] = {"server": 0.0, "postgres": 0.0, "other": 0.0}
    for pid, (comm, pgid, cpu) in after.items():
        used = cpu - (before[pid][2] if pid in before and before[pid][0] == comm else 0.0)
        if pgid == server_pgid:
            split["server"] += used
        elif comm.startswith("postgres"):
            split["postgres"] += used
        else:
            split["other"] += used
    return split


# --- wrk ---------------------------------------------------------------------------------------


@dataclass
class Load:
    result: dict[str, Any]
    ids: list[str]
    errors: list[str]
    cpu: dict[str, float] = field(default_factory=dict)
    background: float = 0.0  # cores busy just before the run, with the server idle


def run_wrk(
    base: str,
    path: str,
    requests: Path,
    logs: Path,
    *,
    id_field: str,
    connections: int,
    threads: int,
    duration: float,
    timeout: float,
) -> Load:
    env = dict(os.environ)
    env.update(
        BENCH_REQUESTS=str(requests), BENCH_PATH=path, BENCH_LOG=str(logs), BENCH_ID_FIELD=id_field
    )
    cmd = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", f"--timeout={timeout:g}s",
        "-s", str(BENCH / "join.lua"), base,
    ]  # fmt: skip
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=duration + 120, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    match = re.search(r"^BENCH_RESULT (\{.*\})$", done.stdout, re.M)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = json.loads(match.group(1))
    result["wrk_cpu_s"] = (after.ru_utime + after.ru_stime) - (usage.ru_utime + usage.ru_stime)
    ids: list[str] = []
    errors: list[str] = []
    for t in range(threads):
        ids += Path(f"{logs}.ids.{t}").read_text().split()
        errors += Path(f"{logs}.errors.{t}").read_text().splitlines()
    return Load(result, ids, errors)


# --- reconciliation ----------------------------------------------------------------------------


@dataclass
class Check:
    ok: bool
    created_201: int
    replayed: int
    new_memberships: int
    doubles: int
    lost: int
    text: str


def reconcile(
    engine: Engine, base: str, loads: Sequence[tuple[int, int, Load]], count_before: int
) -> Check:
    """The memberships created equal the 201s: nothing lost, nothing twice.

    `loads` are (first joiner, joiners allocated, load) per wrk run against this server. A request
    still in flight when wrk's clock ran out may have committed after wrk stopped listening; it is
    sent again with the same Idempotency-Key and must come back as a replay of that membership.
    """
    acked = [x for _, _, load in loads for x in load.ids]
    created = sum(load.result["created"] for _, _, load in loads)
    new_total = plan_memberships(engine) - count_before
    db: dict[str, tuple[int, int]] = {}
    doubles = 0
    with engine.connect() as conn:
        for lo, count, _ in loads:
            rows = conn.execute(
                text(
                    """
                    SELECT b.i, a.person_id, count(m.id) AS n, min(m.id) AS membership_id
                      FROM bench_accounts b
                      JOIN accounts a ON a.id = b.account_id
                      LEFT JOIN memberships m ON m.person_id = a.person_id AND m.plan_id = :p
                     WHERE b.i >= :lo AND b.i < :hi AND a.person_id IS NOT NULL
                     GROUP BY b.i, a.person_id
                    """
                ),
                {"p": PLAN, "lo": lo, "hi": lo + count},
            )
            for r in rows:
                if r.n != 1:
                    doubles += 1
                db[str(r.person_id)] = (int(r.i), int(r.membership_id or 0))
    acked_set = set(acked)
    lost = len(acked_set - set(db)) + (len(acked) - len(acked_set)) + acked.count("?")
    unacked = [db[p] for p in set(db) - acked_set]
    replayed = 0
    bad_replays = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for i, membership_id in sorted(unacked):
            token, key, body = join_line(i)
            r = client.post(
                "/v1/memberships",
                content=body.encode(),
                headers={
                    "Authorization": f"Bearer {token}",
                    "Idempotency-Key": key,
                    "Content-Type": "application/json",
                },
            )
            same = r.status_code == 201 and r.json()["membership"]["id"] == membership_id
            if same and r.headers.get("Idempotent-Replayed") == "true":
                replayed += 1
            else:
                bad_replays.append(f"joiner {i}: {r.status_code} {r.text[:200]}")
    ok = (
        lost == 0
        and doubles == 0
        and not bad_replays
        and new_total == len(db)
        and new_total == created + replayed
    )
    text_ = (
        f"{new_total:,} new memberships = {created:,} 201s received"
        + (f" + {replayed} answered after wrk's cut-off (idempotent replay)" if replayed else "")
        + f"; lost {lost}, double {doubles}"
        + ("" if ok else f"; MISMATCH (accounts with a membership: {len(db):,})")
    )
    if bad_replays:
        text_ += "; bad replays: " + "; ".join(bad_replays[:5])
    return Check(ok, created, replayed, new_total, doubles, lost, text_)


# --- one configuration -------------------------------------------------------------------------


@dataclass
class Measured:
    app: str
    workers: int
    stack: str
    connections: int
    members_before: int
    load: Load
    check: Check | None = None

    @property
    def seconds(self) -> float:
        return float(self.load.result["duration_us"]) / 1e6

    @property
    def ok_per_s(self) -> float:
        return float(self.load.result["created"]) / self.seconds

    @property
    def errors(self) -> int:
        r = self.load.result
        kinds = ("other", "err_connect", "err_read", "err_write", "err_timeout")
        return sum(int(r[k]) for k in kinds)

    @property
    def cpu_ms(self) -> float:
        """CPU ms per answered request, server and PostgreSQL: robust to other work."""
        done = max(1, int(self.load.result["requests"]))
        return 1000 * (self.load.cpu.get("server", 0.0) + self.load.cpu.get("postgres", 0.0)) / done

    @property
    def capacity(self) -> float:
        """Requests/s if every core did nothing but this (load generator excluded)."""
        return (os.cpu_count() or 1) * 1000 / self.cpu_ms if self.cpu_ms else 0.0

    def ms(self, key: str) -> float:
        return float(self.load.result[key]) / 1000.0


@dataclass
class Options:
    url: str
    connections: int
    threads: int
    duration: float
    warmup: float
    timeout: float
    max_rate: int
    port: int
    work: Path
    join_limit: str
    idle_wait: float


# The baselines: (name, uvicorn app, port offset from --port). Both insert one row per request.
BASELINES = (("bare-sync", "bare_insert_app:app", 1), ("bare-async", "bare_async_app:app", 2))


def drive(
    engine: Engine,
    opts: Options,
    server: Server,
    *,
    bare: bool,
    tag: str,
) -> tuple[list[tuple[int, int, Load]], Load]:
    """Warm up, then measure; returns every wrk run (for reconciliation) and the measured one."""
    runs: list[tuple[int, int, Load]] = []
    key = "next_bare" if bare else "next_joiner"
    path = "/v1/bare" if bare else "/v1/memberships"
    measured: Load | None = None
    phases = [(p, s) for p, s in (("warmup", opts.warmup), ("measure", opts.duration)) if s > 0]

    def size(seconds: float) -> int:
        return int(seconds * opts.max_rate / opts.threads) + 1000

    if not bare:  # every account both phases may use, before any load
        with engine.begin() as conn:
            upto = meta(conn, key) + sum(size(s) * opts.threads for _, s in phases)
        ensure_accounts(engine, upto)
    for phase, seconds in phases:
        per_thread = size(seconds)
        count = per_thread * opts.threads
        lo = allocate(engine, key, count)
        prefix = opts.work / f"{tag}-{phase}.req"
        write_requests(prefix, lo, per_thread, opts.threads, bare)
        background = 0.0
        if phase == "measure":
            checkpoint(engine)
            background = wait_until_idle(opts.idle_wait)
        before = _proc_cpu()
        window = time.monotonic()
        load = run_wrk(
            server.base,
            path,
            prefix,
            opts.work / f"{tag}-{phase}",
            id_field="id" if bare else "person_id",
            connections=opts.connections,
            threads=opts.threads,
            duration=seconds,
            timeout=opts.timeout,
        )
        load.result["window_s"] = time.monotonic() - window
        load.background = background
        load.cpu = cpu_split(before, _proc_cpu(), server.proc.pid)
        load.cpu["wrk"] = load.result["wrk_cpu_s"]
        load.cpu["other"] = max(0.0, load.cpu["other"] - load.result["wrk_cpu_s"])
        # Every thread sent a prefix of its slice; the last thread's unsent tail is given back.
        last_sent = load.result["sent"] - (opts.threads - 1) * per_thread
        if 0 <= last_sent <= per_thread:
            release_unsent(engine, key, lo, lo + (opts.threads - 1) * per_thread + last_sent)
        for t in range(opts.threads):
            Path(f"{prefix}.{t}").unlink(missing_ok=True)
        runs.append((lo, count, load))
        if phase == "measure":
            measured = load
    assert measured is not None
    return runs, measured


def run_config(engine: Engine, opts: Options, workers: int, stack: Stack) -> list[Measured]:
    tag = f"w{workers}-{stack.name}"
    env = dict(os.environ)
    env.update(
        HUZHU_DATABASE_URL=opts.url,
        HUZHU_JOIN_LIMIT=opts.join_limit,
        PYTHONPATH=os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        ),
    )
    out = []
    members = live_members(engine)
    for name, app, port in BASELINES:
        print(f"[{tag}] {name} endpoint ({app}) ...", flush=True)
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE bench_bare_inserts"))
        with serving(
            app, opts.port + port, workers, stack, env,
            opts.work / f"{tag}-{name}.log", "/healthz",
        ) as server:  # fmt: skip
            _, load = drive(engine, opts, server, bare=True, tag=f"{tag}-{name}")
        bare = Measured(name, workers, stack.name, opts.connections, members, load)
        with engine.connect() as conn:
            rows = int(conn.scalar(text("SELECT count(*) FROM bench_bare_inserts")))
        bare.check = Check(
            rows >= load.result["created"], load.result["created"], 0, rows, 0, 0,
            f"{rows:,} rows for {load.result['created']:,} 201s (warm-up included in rows)",
        )  # fmt: skip
        out.append(bare)
        print(f"  {line(bare)}", flush=True)

    print(f"[{tag}] huzhu join endpoint ...", flush=True)
    members = live_members(engine)
    count_before = plan_memberships(engine)
    with serving(
        "huzhu.api.main:app", opts.port, workers, stack, env,
        opts.work / f"{tag}-huzhu.log", "/openapi.json",
    ) as server:  # fmt: skip
        runs, load = drive(engine, opts, server, bare=False, tag=f"{tag}-join")
        time.sleep(1.0)  # let requests cut off by wrk finish before counting
        check = reconcile(engine, server.base, runs, count_before)
    join = Measured("join", workers, stack.name, opts.connections, members, load, check)
    out.append(join)
    print(f"  {line(join)}", flush=True)
    print(f"  check: {check.text}", flush=True)
    return out


# --- the report --------------------------------------------------------------------------------


def line(m: Measured) -> str:
    r = m.load.result
    cpu = m.load.cpu
    done = max(1, int(r["requests"]))
    window = float(r.get("window_s", m.seconds))
    cores = ", ".join(f"{k} {v / window:.2f}" for k, v in cpu.items())
    per = " + ".join(
        f"{k} {1000 * cpu.get(k, 0.0) / done:.2f}" for k in ("server", "postgres", "wrk")
    )
    quiet = m.load.background <= 0.15 and cpu.get("other", 0.0) / window <= 0.15
    return (
        f"{m.app:10s} w={m.workers} {m.stack:17s} c={m.connections}: {m.ok_per_s:8,.0f} req/s  "
        f"p50 {m.ms('p50_us'):6.1f} ms  p99 {m.ms('p99_us'):6.1f} ms  "
        f"max {m.ms('lat_max_us'):6.0f} ms  errors {m.errors}  "
        f"({r['created']:,} x 201 in {m.seconds:.1f} s)\n"
        f"      CPU cores busy: {cores}; CPU ms per request: {per}"
        + ("" if quiet else f"  [machine not quiet: {m.load.background:.2f} cores busy before]")
    )


def report(
    results: list[Measured],
    info: dict[str, str],
    vers: dict[str, str],
    pg: str,
    pgset: dict[str, str],
    opts: Options,
    members: int,
) -> bool:
    print()
    print("=" * 100)
    print("huzhu join benchmark (POST /v1/memberships, wrk on loopback)")
    print(
        f"machine: {info['nproc']} cores, {info['cpu']}, {info['memory']}; "
        f"Linux {info['kernel']}; Python {info['python']}"
    )
    print(
        f"PostgreSQL {pg} ("
        + ", ".join(f"{k}={v}" for k, v in pgset.items())
        + f"); database {make_url(opts.url).database}"
    )
    print("stack: " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    print(f"huzhu source: {source_state()}")
    print(
        f"members already in {PLAN}: {members:,} at the start; runs of {opts.duration:g} s after "
        f"{opts.warmup:g} s warm-up, {opts.connections} connections, {opts.threads} wrk thread(s)"
    )
    print("-" * 100)
    for m in results:
        print(line(m))
        if m.app == "join" and m.check:
            print(f"      check: {m.check.text}")
    print("-" * 100)
    ok_all = True
    pairs = {}
    for m in results:
        pairs.setdefault((m.workers, m.stack), {})[m.app] = m
    best: tuple[float, str] | None = None

    def baseline(pair: dict[str, Measured]) -> Measured:
        """The faster baseline: the ratio is taken against the harder one to match."""
        return max((pair[n] for n, _, _ in BASELINES if n in pair), key=lambda m: m.ok_per_s)

    for (workers, stack), pair in pairs.items():
        if "join" not in pair or not any(n in pair for n, _, _ in BASELINES):
            continue
        j, b = pair["join"], baseline(pair)
        ratio = j.ok_per_s / b.ok_per_s if b.ok_per_s else 0.0
        summary = (
            f"workers={workers} {stack}: join: {j.ok_per_s:,.0f} req/s p99 {j.ms('p99_us'):.0f} ms"
            f" | faster bare insert ({b.app}): {b.ok_per_s:,.0f} req/s | ratio {ratio:.2f}"
        )
        print(summary)
        print(
            f"      CPU per request (server + PostgreSQL): join {j.cpu_ms:.2f} ms, {b.app} "
            f"{b.cpu_ms:.2f} ms -> CPU-cost ratio {b.cpu_ms / j.cpu_ms:.2f}; at that cost 2 free "
            f"cores would allow at most {j.capacity:,.0f} joins/s and {b.capacity:,.0f} inserts/s"
        )
        if best is None or j.ok_per_s > best[0]:
            best = (j.ok_per_s, summary)
    if best is None:
        return False
    joins = [m for m in results if m.app == "join"]
    top = max(joins, key=lambda m: m.ok_per_s)
    pair = pairs[(top.workers, top.stack)]
    ratio = top.ok_per_s / baseline(pair).ok_per_s
    goals = [
        (f"joins/s >= {TARGET_JOINS_PER_S:,}", top.ok_per_s >= TARGET_JOINS_PER_S),
        (f"p99 <= {TARGET_P99_MS:g} ms", top.ms("p99_us") <= TARGET_P99_MS),
        (f"ratio >= {TARGET_RATIO}", ratio >= TARGET_RATIO),
        ("every join answered 201", top.errors == 0),
        ("memberships = 201s", all(m.check is not None and m.check.ok for m in joins)),
    ]
    print("-" * 100)
    print(f"best: {best[1]}")
    for goal, met in goals:
        print(f"  [{'met' if met else 'NOT MET'}] {goal}")
        ok_all &= met
    print("=" * 100)
    return ok_all


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    url_default = os.environ.get("HUZHU_BENCH_DATABASE_URL", DEFAULT_URL)
    p.add_argument("--database-url", default=url_default)
    p.add_argument("--members", type=int, default=1_000_000)
    p.add_argument("--workers", default="1,2", help="uvicorn worker counts to try, e.g. 1,2")
    p.add_argument("--stacks", default="fast,default", help="fast (uvloop+httptools), default")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--threads", type=int, default=1, help="wrk threads")
    p.add_argument("--duration", type=float, default=25.0, help="seconds measured per run")
    p.add_argument("--warmup", type=float, default=5.0)
    p.add_argument("--timeout", type=float, default=5.0, help="wrk's per-request timeout")
    p.add_argument("--max-rate", type=int, default=6000, help="requests/s precomputed per run")
    p.add_argument("--port", type=int, default=8700)
    p.add_argument("--join-limit", default="1000000/minute")
    p.add_argument(
        "--idle-wait",
        type=float,
        default=600.0,
        help="seconds to wait for other work on the machine to stop before each measured run",
    )
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    p.add_argument("--keep-work", action="store_true", help="keep request files and logs")
    p.add_argument("--prepare-only", action="store_true", help="create, migrate and seed; no load")
    args = p.parse_args(argv)

    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2
    url = database_url(args.database_url)
    host = make_url(url).host
    if host not in ("127.0.0.1", "localhost", "::1"):
        print("the benchmark runs against a local database only", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="huzhu-bench-"))
    opts = Options(
        url=url,
        connections=args.connections,
        threads=args.threads,
        duration=args.duration,
        warmup=args.warmup,
        timeout=args.timeout,
        max_rate=args.max_rate,
        port=args.port,
        work=work,
        join_limit=args.join_limit,
        idle_wait=args.idle_wait,
    )
    ensure_database(url)
    engine = make_engine(url, pool_size=2, max_overflow=2)
    try:
        version = prepare(engine)
        took = seed_members(engine, args.members, version)
        if took:
            print(f"seeded in {took:.0f} s", flush=True)
        members = live_members(engine)
        if args.prepare_only:
            print(f"{members:,} live members in {PLAN}: ready")
            return 0
        info, vers = machine(), versions()
        pg, pgset = pg_version(engine), pg_settings(engine)
        print(
            f"{members:,} live members in {PLAN}; {info['nproc']} cores {info['cpu']}; "
            f"PostgreSQL {pg}; work files in {work}",
            flush=True,
        )
        results: list[Measured] = []
        for workers in [int(w) for w in args.workers.split(",") if w]:
            for stack in stacks([s for s in args.stacks.split(",") if s]):
                results += run_config(engine, opts, workers, stack)
        ok = report(results, info, vers, pg, pgset, opts, members)
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "machine": info,
                        "versions": vers,
                        "postgres": pg,
                        "postgres_settings": pgset,
                        "members": members,
                        "connections": opts.connections,
                        "duration_s": opts.duration,
                        "runs": [
                            {
                                "app": m.app,
                                "workers": m.workers,
                                "stack": m.stack,
                                "ok_per_s": round(m.ok_per_s, 1),
                                "p50_ms": m.ms("p50_us"),
                                "p99_ms": m.ms("p99_us"),
                                "errors": m.errors,
                                "cpu_s": m.load.cpu,
                                "wrk": m.load.result,
                                "check": m.check.text if m.check else None,
                            }
                            for m in results
                        ],
                    },
                    indent=2,
                )
            )
        return 0 if ok else 1
    finally:
        engine.dispose()
        if not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
