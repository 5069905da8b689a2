"""Benchmark: a round's Merkle root over its members' charges, and inclusion proofs, at scale.

    .venv/bin/python bench/merkle_root.py --db sqlite --charges 1000000
    .venv/bin/python bench/merkle_root.py --db postgresql --charges 1000000

It seeds one round with N charges by set-based SQL (membership ids with gaps, varied amounts), then
times, each on its own:

- hashing only: the same N leaves hashed and reduced in memory (the CPU floor);
- reading only: streaming the charges out of the database in membership_id order, as the job does;
- `publish_round_proofs`: read, hash, store chunk roots and the tree above them, append the root to
  the log, commit: rows/s is the figure to plan a 100-million-member round with;
- `prove` for random members (one chunk range scan plus a few stored nodes), and `verify_proof`;
- the Merkle part of `huzhu verify` (a full recomputation compared chunk by chunk).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import statistics
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, text

from huzhu.domain.merkle import CHUNK_SIZE, leaf_hashes, root_of, tree_levels, verify_proof
from huzhu.services.plans.service import install_templates
from huzhu.services.record.merkle_proofs import prove, publish_round_proofs, stream_chunks
from huzhu.services.record.public_record import record_round
from huzhu.services.record.verify import verify
from huzhu.storage.engine import make_engine, migrate
from huzhu.storage.uow import UnitOfWork

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/huzhu_bench_merkle"
SQLITE_PATH = Path("/tmp/huzhu_bench_merkle.db")
PLAN = "xiang-hu-bao"
NOW = datetime(2026, 1, 7, 4, 0, tzinfo=UTC)


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
    return (
        f"{os.cpu_count()} cores, {cpu}, {mem_gb:.0f} GiB RAM, Python {platform.python_version()}"
    )


def fresh_engine(db: str) -> Engine:
    if db == "postgresql":
        admin = make_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                            isolation_level="AUTOCOMMIT")  # fmt: skip
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS huzhu_bench_merkle WITH (FORCE)"))
            conn.execute(text("CREATE DATABASE huzhu_bench_merkle"))
        admin.dispose()
        engine = make_engine(PG_URL)
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{SQLITE_PATH}")
    migrate(engine)
    return engine


def seed(engine: Engine, charges: int) -> int:
    """One round of PLAN with `charges` charges; returns the round id."""
    with UnitOfWork(engine) as uow:
        install_templates(uow, NOW)
        round_id = uow.rounds.open(PLAN, date(2026, 1, 7), NOW, date(2026, 1, 14), 1, NOW)
        if uow.dialect == "postgresql":
            part = f"member_charges_r{round_id}"
            uow.conn.execute(
                text(f"CREATE TABLE {part} PARTITION OF member_charges FOR VALUES IN ({round_id})")
            )
            uow.conn.execute(
                text(
                    f"INSERT INTO {part} (membership_id, round_id, amount, year_total) "
                    f"SELECT g * 3 + g % 2, {round_id}, 100 + g % 37, NULL "
                    "FROM generate_series(1, :n) AS g"
                ),
                {"n": charges},
            )
            uow.conn.execute(text(f"CREATE UNIQUE INDEX {part}_mid ON {part} (membership_id)"))
            uow.conn.execute(text(f"ANALYZE {part}"))
        else:
            uow.conn.execute(
                text(
                    "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < :n) "
                    "INSERT INTO member_charges (membership_id, round_id, amount, year_total) "
                    f"SELECT g * 3 + g % 2, {round_id}, 100 + g % 37, NULL FROM s"
                ),
                {"n": charges},
            )
        record = uow.rounds.get(round_id)
        assert record is not None
        record_round(uow, record, NOW)  # as run_round does; huzhu verify expects it
        uow.commit()
    return round_id


def rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:>12,.0f} rows/s ({seconds:.2f} s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--charges", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=200)
    args = parser.parse_args()
    n = args.charges
    print(f"machine: {machine()}")
    print(f"database: {args.db}; {n:,} charges; chunks of {CHUNK_SIZE} leaves")

    engine = fresh_engine(args.db)
    started = time.perf_counter()
    round_id = seed(engine, n)
    print(f"seeded in {time.perf_counter() - started:.1f} s")

    # Hashing only: the same leaves, generated chunk by chunk in memory, then the tree above.
    def chunk_rows(start: int) -> list[tuple[int, int, int]]:
        stop = min(start + CHUNK_SIZE, n + 1)
        return [(round_id, g * 3 + g % 2, 100 + g % 37) for g in range(start, stop)]

    started = time.perf_counter()
    roots = [root_of(leaf_hashes(chunk_rows(i))) for i in range(1, n + 1, CHUNK_SIZE)]
    memory_root = tree_levels(roots)[-1][0].hex()
    print(f"hashing only (in memory):    {rate(n, time.perf_counter() - started)}")

    # Reading only: the keyset scan the job runs, without hashing.
    with UnitOfWork(engine) as uow:
        started = time.perf_counter()
        after, seen = None, 0
        while True:
            page = uow.merkle_trees.charges_after(round_id, after, CHUNK_SIZE * 64)
            seen += len(page)
            if len(page) < CHUNK_SIZE * 64:
                break
            after = page[-1][1]
        print(f"reading only (keyset scan):  {rate(seen, time.perf_counter() - started)}")
        started = time.perf_counter()
        streamed = sum(count for _, count in stream_chunks(uow, round_id))
        print(f"reading + hashing chunks:    {rate(streamed, time.perf_counter() - started)}")

    # The job itself.
    started = time.perf_counter()
    with UnitOfWork(engine) as uow:
        published = publish_round_proofs(uow, round_id, NOW)
        uow.commit()
    elapsed = time.perf_counter() - started
    print(f"publish_round_proofs:        {rate(published.leaves, elapsed)}")
    minutes = 100_000_000 / (published.leaves / elapsed) / 60
    print(f"  -> 100 million charges in about {minutes:.0f} min on this machine, one process")
    print(f"  root {published.root} over {published.leaves:,} charges, {published.chunks:,} chunks")
    assert published.root == memory_root, "database and in-memory roots differ"

    # Proofs for random members.
    with UnitOfWork(engine) as uow:
        picks = random.Random(7).sample(range(1, n + 1), min(args.proofs, n))
        sample = [g * 3 + g % 2 for g in picks]
        times = []
        for member in sample:
            t = time.perf_counter()
            proof = prove(uow, round_id, member)
            times.append(time.perf_counter() - t)
            assert verify_proof(proof)
    times.sort()
    print(
        f"prove: median {statistics.median(times) * 1000:.1f} ms, "
        f"p99 {times[int(len(times) * 0.99) - 1] * 1000:.1f} ms over {len(times)} members; "
        f"path length {len(proof.path)}"
    )
    started = time.perf_counter()
    for _ in range(1000):
        verify_proof(proof)
    print(f"verify_proof: {(time.perf_counter() - started) * 1000:.0f} µs per proof (offline)")

    # huzhu verify's Merkle check: a full recomputation.
    started = time.perf_counter()
    with UnitOfWork(engine) as uow:
        report = verify(uow)
    elapsed = time.perf_counter() - started
    assert report.ok, [c.problems for c in report.checks if not c.ok]
    print(f"huzhu verify (full):         {rate(published.leaves, elapsed)}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:,.0f} MiB")
    engine.dispose()


if __name__ == "__main__":
    main()
