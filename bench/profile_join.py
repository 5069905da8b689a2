"""Where a join's time goes: the SQL statements it sends, and a py-spy profile under load.

Uses the database that `bench/join_load.py` prepared (members seeded, accounts created) and joins
fresh accounts from its pool.

1. SQL: one join through FastAPI's TestClient with a statement listener on the engine: every
   statement, in order, and the transaction events.
2. Profile (unless --no-profile): huzhu's API under uvicorn (one worker) on 127.0.0.1, driven by wrk
   for --duration seconds while py-spy samples the worker; prints where the on-CPU samples are,
   by leaf function, by huzhu function (inclusive) and by coarse layer.

    .venv/bin/python bench/profile_join.py
    .venv/bin/python bench/profile_join.py --duration 20 --connections 16 --gil
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent))

from join_load import (
    DEFAULT_URL,
    REPO,
    Server,
    allocate,
    ensure_accounts,
    join_line,
    prepare,
    seed_members,
    stacks,
    write_requests,
)

from huzhu.api.app import create_app
from huzhu.api.settings import Settings
from huzhu.storage.engine import database_url, make_engine

BENCH = Path(__file__).resolve().parent


def shape(statement: str) -> str:
    s = re.sub(r"\s+", " ", statement).strip()
    s = re.sub(r"%\(\w+\)s", "?", s)
    return s[:150]


def statements_of_one_join(engine: Any, url: str) -> None:
    app = create_app(Settings(database_url=url, join_limit="1000000/minute"), engine)
    seen: list[str] = []
    tx = Counter[str]()

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen.append(shape(statement))

    for name in ("begin", "commit", "rollback", "savepoint", "release_savepoint"):
        event.listen(engine, name, lambda *_, _n=name: tx.update([_n]))

    lo = allocate(engine, "next_joiner", 3)
    ensure_accounts(engine, lo + 3)
    with TestClient(app) as client:
        for i in range(lo, lo + 3):
            seen.clear()
            tx.clear()
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
            if r.status_code != 201:
                raise SystemExit(f"join {i}: {r.status_code} {r.text}")
    # The last of three joins: caches warm, as in steady state.
    print(f"one join sends {len(seen)} SQL statements, transaction events {dict(tx)}:")
    for n, s in enumerate(seen, 1):
        print(f"  {n:2d}. {s}")


def frame_parts(frame: str) -> tuple[str, str]:
    """'func (path/file.py:12)' -> ('func', 'path/file.py')."""
    m = re.match(r"^(.*) \((.*?)(?::\d+)?\)$", frame)
    return (m.group(1), m.group(2)) if m else (frame, "")


LAYERS = [
    ("huzhu", "huzhu/"),
    ("sqlalchemy", "sqlalchemy/"),
    ("psycopg", "psycopg"),
    ("pydantic", "pydantic"),
    ("fastapi", "fastapi/"),
    ("starlette", "starlette/"),
    ("anyio (thread pool)", "anyio/"),
    ("uvicorn", "uvicorn/"),
    ("json", "json/"),
    ("limits", "limits/"),
    ("threading", "threading.py"),
    ("asyncio", "asyncio/"),
]


def layer(path: str) -> str:
    """The package a frame's file belongs to; py-spy gives paths relative to sys.path."""
    for name, marker in LAYERS:
        if path.startswith(marker) or f"/{marker}" in path:
            return name
    return "other"


def live_profile(engine: Any, url: str, args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise SystemExit("py-spy is missing: .venv/bin/pip install py-spy")
    work = Path(tempfile.mkdtemp(prefix="huzhu-profile-"))
    count = int(args.duration * 4000) + 1000
    lo = allocate(engine, "next_joiner", count)
    ensure_accounts(engine, lo + count)
    write_requests(work / "req", lo, count, 1, bare=False)
    env = dict(os.environ)
    env.update(HUZHU_DATABASE_URL=url, HUZHU_JOIN_LIMIT="1000000/minute")
    stack = stacks(["fast" if args.fast else "default"])[0]
    server = Server("huzhu.api.main:app", args.port, 1, stack, env, work / "server.log")
    raw = work / "profile.txt"
    try:
        server.wait_ready("/openapi.json")
        wrk_env = dict(env)
        wrk_env.update(
            BENCH_REQUESTS=str(work / "req"),
            BENCH_PATH="/v1/memberships",
            BENCH_LOG=str(work / "wrk"),
            BENCH_ID_FIELD="person_id",
        )
        wrk = subprocess.Popen(
            [
                "wrk", "-t1", f"-c{args.connections}", f"-d{args.duration:g}s", "--timeout=5s",
                "-s", str(BENCH / "join.lua"), server.base,
            ],
            env=wrk_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        time.sleep(2)
        spy_cmd = [
            spy, "record", "-p", str(server.proc.pid), "-d", str(int(args.duration) - 4),
            "-r", "250", "-f", "raw", "-o", str(raw), "--nonblocking",
        ]  # fmt: skip
        if args.gil:
            spy_cmd.append("--gil")
        subprocess.run(spy_cmd, check=True, capture_output=True, cwd=REPO)
        out, _ = wrk.communicate(timeout=args.duration + 60)
        m = re.search(r"BENCH_RESULT (\{.*\})", out)
        print("\nwrk during the profile:", m.group(1) if m else out[-500:])
    finally:
        server.stop()
    leaf = Counter[str]()
    inclusive = Counter[str]()
    layers = Counter[str]()
    total = 0
    for text_line in raw.read_text().splitlines():
        stack_text, _, n = text_line.rpartition(" ")
        count_ = int(n)
        frames = stack_text.split(";")
        total += count_
        name, path = frame_parts(frames[-1])
        leaf[f"{name} ({_short(path)})"] += count_
        layers[layer(path)] += count_
        for f in set(frames):
            fname, fpath = frame_parts(f)
            if layer(fpath) == "huzhu":
                inclusive[f"{fname} ({_short(fpath)})"] += count_
    print(f"\npy-spy: {total:,} samples of the worker ({'GIL held' if args.gil else 'on CPU'})")
    print("by layer (where the sampled frame's own code is):")
    for k, v in layers.most_common():
        print(f"  {100 * v / total:5.1f}%  {k}")
    print(f"top {args.top} leaf functions (self time):")
    for k, v in leaf.most_common(args.top):
        print(f"  {100 * v / total:5.1f}%  {k}")
    print(f"top {args.top} huzhu functions (inclusive):")
    for k, v in inclusive.most_common(args.top):
        print(f"  {100 * v / total:5.1f}%  {k}")
    if args.keep:
        print(f"raw profile kept in {raw}")
    else:
        shutil.rmtree(work, ignore_errors=True)


def _short(path: str) -> str:
    for marker in ("site-packages/", "src/", "lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--database-url", default=os.environ.get("HUZHU_BENCH_DATABASE_URL", DEFAULT_URL)
    )
    p.add_argument("--members", type=int, default=1_000_000)
    p.add_argument("--no-profile", action="store_true")
    p.add_argument("--duration", type=float, default=20.0)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--port", type=int, default=8790)
    p.add_argument("--gil", action="store_true", help="only samples holding the GIL")
    p.add_argument("--fast", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--keep", action="store_true")
    args = p.parse_args()

    url = database_url(args.database_url)
    engine = make_engine(url, pool_size=20, max_overflow=20)
    try:
        version = prepare(engine)
        seed_members(engine, args.members, version)
        statements_of_one_join(engine, url)
        if not args.no_profile:
            live_profile(engine, url, args)
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
