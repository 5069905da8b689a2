"""Benchmark: a forecast of a 100-million-member plan, 48 rounds, 200 Monte Carlo paths.

    .venv/bin/python bench/forecast_scale.py                      # the issue's sizes
    .venv/bin/python bench/forecast_scale.py --members 1000000    # cells make it cost the same

It runs `huzhu.forecast.run` (what `huzhu forecast` runs, less the files) on Xiang Hu Bao's rules
with the plan's default assumptions, starting from `--members` established members, and prints the
wall-clock time with the machine and the sizes. The target is at most 60 s on a 2-core machine.
Members are counted in cells (path x age band x sex x tenure x risk), so the time depends on
paths x rounds x cells, not on the headcount.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from datetime import date

import numpy as np

from huzhu.forecast import run
from huzhu.forecast.assumptions import NO_HISTORY
from huzhu.forecast.engine import simulate
from huzhu.forecast.files import defaults
from huzhu.plans.loader import load_template

TARGET_SECONDS = 60.0


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000_000)
    parser.add_argument("--rounds", type=int, default=48)
    parser.add_argument("--paths", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plan", default="xiang-hu-bao")
    args = parser.parse_args()
    a = defaults(load_template(args.plan), date(2024, 1, 1), members=args.members)
    simulate(a, NO_HISTORY, rounds=2, paths=2, seed=args.seed)  # import and warm-up
    started = time.perf_counter()
    cpu0 = time.process_time()
    f = run(a, NO_HISTORY, rounds=args.rounds, paths=args.paths, seed=args.seed)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu0
    t = f.trajectory
    cells = int(np.prod(t.members.shape))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"numpy {np.__version__}, python {platform.python_version()}")
    print(
        f"sizes: plan {args.plan}, {args.members:,} members at the start, {args.rounds} rounds, "
        f"{args.paths} paths, seed {args.seed} ({cells:,} path-rounds)"
    )
    last = f.rows[-1]
    print(
        f"result: last round {last.date}, median {last.members:,} members, median share "
        f"{last.share_p50 / 100:.2f} yuan (p5 {last.share_p5 / 100:.2f}, p95 "
        f"{last.share_p95 / 100:.2f})"
    )
    verdict = "met" if wall <= TARGET_SECONDS else "NOT met"
    print(
        f"time: {wall:.1f} s wall, {cpu:.1f} s CPU, peak memory {peak_mb:,.0f} MB; "
        f"target <= {TARGET_SECONDS:.0f} s {verdict}"
    )
    raise SystemExit(0 if wall <= TARGET_SECONDS else 1)


if __name__ == "__main__":
    main()
