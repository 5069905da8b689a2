"""What a forecast says: percentile bands per round, the CSV, and early warnings with codes.

Percentiles are over Monte Carlo paths. Shares are kept in fen; the CSV writes yuan with two
decimals from the integer fen (a percentile of fen is rounded to the fen, half up), never a float.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from huzhu.domain.money import Fen, format_yuan
from huzhu.forecast.apportion import Int
from huzhu.forecast.assumptions import PastRound
from huzhu.forecast.engine import Trajectory

COLUMNS = (
    "date", "members", "cases", "share_yuan_p50", "share_yuan_p5", "share_yuan_p95",
    "backstop_yuan", "cap_binds_probability", "members_p5", "members_p95", "joins", "exits",
)  # fmt: skip


@dataclass(frozen=True)
class RoundBand:
    date: date
    members: int  # median headcount
    members_p5: int
    members_p95: int
    cases: int  # median cases
    share_p5: Fen
    share_p50: Fen
    share_p95: Fen
    backstop: Fen  # median backstop
    cap_binds_probability: float
    joins: int
    exits: int


def _pct(values: Int, q: float) -> Int:
    """Percentile over paths (axis 1), rounded half up to a whole number."""
    return np.floor(np.percentile(values, q, axis=1, method="linear") + 0.5).astype(np.int64)


def bands(t: Trajectory) -> list[RoundBand]:
    s5, s50, s95 = (_pct(t.share, q) for q in (5, 50, 95))
    m5, m50, m95 = (_pct(t.members, q) for q in (5, 50, 95))
    cases, backstop = _pct(t.cases, 50), _pct(t.backstop, 50)
    joins, exits = _pct(t.joins, 50), _pct(t.exits, 50)
    binds = t.cap_binds.mean(axis=1)
    return [
        RoundBand(
            d,
            int(m50[i]),
            int(m5[i]),
            int(m95[i]),
            int(cases[i]),
            int(s5[i]),
            int(s50[i]),
            int(s95[i]),
            int(backstop[i]),
            float(binds[i]),
            int(joins[i]),
            int(exits[i]),
        )
        for i, d in enumerate(t.dates)
    ]


def write_csv(rows: Sequence[RoundBand], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for r in rows:
            yuan = [format_yuan(v, grouping=False) for v in (r.share_p50, r.share_p5, r.share_p95)]
            w.writerow(
                [
                    r.date.isoformat(),
                    r.members,
                    r.cases,
                    *yuan,
                    format_yuan(r.backstop, grouping=False),
                    f"{r.cap_binds_probability:.3f}",
                    r.members_p5,
                    r.members_p95,
                    r.joins,
                    r.exits,
                ]
            )


@dataclass(frozen=True)
class Thresholds:
    """When a signal fires. Operators may change these; the defaults are the reasons below."""

    # The share may rise by at most this much a quarter (6 rounds): 50%, the pace of Xiang Hu
    # Bao's 2019, which preceded its spiral.
    share_rise_per_quarter: float = 0.5
    # Net outflow: more members leave than join over the last quarter.
    outflow_rounds: int = 6
    # The annual cap likely to bind: in at least a quarter of the paths in some round.
    cap_binds_probability: float = 0.25
    # The operator's backstop above this amount in one round (median), in fen.
    backstop_fen: Fen = 100_000_00


@dataclass(frozen=True)
class EarlyWarning:
    code: str
    source: str  # "history" (the plan's real rounds) or "forecast"
    on: date
    message: str


def _share_rise(shares: Sequence[tuple[date, Fen]], src: str, th: Thresholds) -> list[EarlyWarning]:
    found = []
    for i in range(6, len(shares)):
        (d0, a), (d1, b) = shares[i - 6], shares[i]
        if a > 0 and b > a * (1 + th.share_rise_per_quarter):
            rise = (b - a) / a
            found.append(
                EarlyWarning(
                    "share-rising-fast",
                    src,
                    d1,
                    f"the share rose {rise:.0%} in a quarter ({format_yuan(a)} on {d0} to "
                    f"{format_yuan(b)}), above the pace of {th.share_rise_per_quarter:.0%}",
                )
            )
            break
    return found


def _outflow(
    flows: Sequence[tuple[date, int, int]], src: str, th: Thresholds
) -> list[EarlyWarning]:
    n = th.outflow_rounds
    for i in range(n, len(flows) + 1):
        window = flows[i - n : i]
        joined, left = sum(f[1] for f in window), sum(f[2] for f in window)
        if left > joined:
            return [
                EarlyWarning(
                    "net-outflow",
                    src,
                    window[-1][0],
                    f"{left:,} members left and {joined:,} joined in the {n} rounds to "
                    f"{window[-1][0]}",
                )
            ]
    return []


def warnings(
    rows: Sequence[RoundBand], history: Sequence[PastRound], th: Thresholds = Thresholds()
) -> list[EarlyWarning]:
    found = _share_rise([(r.announce_date, r.share) for r in history], "history", th)
    found += _outflow([(r.announce_date, r.joins, r.exits) for r in history], "history", th)
    found += _share_rise([(r.date, r.share_p50) for r in rows], "forecast", th)
    found += _outflow([(r.date, r.joins, r.exits) for r in rows], "forecast", th)
    for r in rows:
        if r.cap_binds_probability >= th.cap_binds_probability:
            found.append(
                EarlyWarning(
                    "annual-cap-likely",
                    "forecast",
                    r.date,
                    f"the annual cap binds in {r.cap_binds_probability:.0%} of paths on {r.date}",
                )
            )
            break
    for r in rows:
        if r.backstop > th.backstop_fen:
            found.append(
                EarlyWarning(
                    "backstop-high",
                    "forecast",
                    r.date,
                    f"the operator's backstop reaches {format_yuan(r.backstop)} yuan on {r.date}, "
                    f"above {format_yuan(th.backstop_fen)}",
                )
            )
            break
    return found
