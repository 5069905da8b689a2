"""Benchmark: webhook delivery passes against a host app that answers after a delay.

    .venv/bin/python bench/webhook_delivery.py --events 2000 --latency-ms 20

It queues N events for one host app on a fresh SQLite file, starts a local receiver that answers
each POST 200 after `--latency-ms` (a host app's own work), and runs `deliver_due` passes until all
are delivered: events/s with the pool of `--concurrency` senders, and with one sender (what the
old one-at-a-time loop amounted to).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from huzhu.services.accounts.service import create_host_app
from huzhu.services.messaging.webhooks import deliver_due
from huzhu.storage.engine import make_engine, migrate
from huzhu.storage.uow import UnitOfWork


def receiver(latency_s: float) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(latency_s)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/events"


def run(events: int, latency_s: float, concurrency: int) -> float:
    server, url = receiver(latency_s)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate(engine)
        now = datetime.now(UTC)
        with UnitOfWork(engine) as uow:
            app = create_host_app(uow, "bench", url, now)
            for n in range(events):
                uow.webhooks.emit(app.id, "member.joined", {"membership_id": n}, now)
            uow.commit()
        started = time.perf_counter()
        sent = 0
        limits = httpx.Limits(max_connections=concurrency)
        with httpx.Client(timeout=5, limits=limits) as client:
            while sent < events:
                sent += deliver_due(engine, client, now, batch=200, concurrency=concurrency)
        elapsed = time.perf_counter() - started
        engine.dispose()
    server.shutdown()
    return events / elapsed


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--events", type=int, default=2000)
    p.add_argument("--latency-ms", type=float, default=20)
    p.add_argument("--concurrency", type=int, default=16)
    args = p.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite")  # fmt: skip
    print(f"{args.events} events, host answers after {args.latency_ms:g} ms")
    for workers in (1, args.concurrency):
        rate = run(args.events, args.latency_ms / 1000, workers)
        print(f"  {workers:>3} sender(s): {rate:,.0f} events/s")


if __name__ == "__main__":
    main()
