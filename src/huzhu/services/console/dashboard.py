"""The console's dashboard: each chart's labels and series, also served as a table and as CSV.

Money stays in fen here; the page and the CSV show it as yuan text (`format_yuan`), and only the
chart's drawing turns that text into a number on the screen.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from huzhu.domain.money import format_yuan
from huzhu.domain.plan_fields import local_date
from huzhu.services.console.service import repo
from huzhu.services.plans.figures import Headcounts
from huzhu.storage.repositories.rounds.repository import RoundRecord
from huzhu.storage.uow import UnitOfWork

ROUNDS_SHOWN = 24
DAYS_SHOWN = 90


@dataclass(frozen=True)
class Series:
    label: str
    values: list[int | None]
    money: bool = False

    def shown(self, i: int) -> str:
        value = self.values[i]
        if value is None:
            return ""
        return format_yuan(value, grouping=False) if self.money else str(value)


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    kind: str  # a Chart.js type: line or bar
    labels: list[str]
    series: list[Series]
    unit: str = ""
    counted_at: datetime | None = None  # a kept figure: when it was counted

    def rows(self) -> list[list[str]]:
        return [[label, *(s.shown(i) for s in self.series)] for i, label in enumerate(self.labels)]

    def header(self) -> list[str]:
        return ["", *(s.label for s in self.series)]

    def spec(self) -> dict[str, object]:
        """What charts.js draws: money as exact yuan text, counts as integers."""
        return {
            "kind": self.kind,
            "labels": self.labels,
            "series": [
                {"label": s.label, "values": [s.shown(i) or None for i in range(len(self.labels))]}
                for s in self.series
            ],
            "unit": self.unit,
        }


def _recent(uow: UnitOfWork) -> dict[str, list[RoundRecord]]:
    """Every plan's latest rounds, oldest first (one query for all plans)."""
    recent = repo(uow).recent_rounds(ROUNDS_SHOWN)
    return {plan_id: list(reversed(recent.get(plan_id, []))) for plan_id in uow.plans.ids()}


def _by_date(by_plan: dict[str, list[RoundRecord]], value: str, money: bool) -> Chart:
    days = sorted({r.announce_date for rs in by_plan.values() for r in rs})
    series = []
    for plan_id, rs in by_plan.items():
        if rs:
            at = {r.announce_date: getattr(r.figures, value) for r in rs}
            series.append(Series(plan_id, [at.get(d) for d in days], money))
    return Chart("", "", "line", [d.isoformat() for d in days], series)


def charts(uow: UnitOfWork, now: datetime, kept: Headcounts | None = None) -> list[Chart]:
    """Every chart; with `kept`, the joins and leaves per day (a count over every membership
    that joined or left in 90 days) come from the kept figures, at most `max_age_s` old."""
    by_plan = _recent(uow)
    members = _by_date(by_plan, "members", False)
    backstop = _by_date(by_plan, "backstop", True)
    out = [
        Chart("members", "Members at each round, by plan", "line", members.labels,
              members.series, "members"),
        _joins(uow, now, kept),
    ]  # fmt: skip
    out += [_share(uow, plan_id, rs) for plan_id, rs in by_plan.items() if rs]
    out += [
        _counts(uow, "condition", "Claims by condition"),
        _counts(uow, "age", "Claims by age at diagnosis (decade)"),
        _counts(uow, "province", "Claims by province"),
        _collection(uow, by_plan),
        Chart("backstop", "Backstop spend per round", "bar", backstop.labels, backstop.series,
              "yuan"),
    ]  # fmt: skip
    return out


def _joins(uow: UnitOfWork, now: datetime, kept: Headcounts | None) -> Chart:
    def count(u: UnitOfWork) -> list[tuple[date, int, int]]:
        return repo(u).joins_and_leaves(now - timedelta(days=DAYS_SHOWN))

    key = f"joins:{local_date(now)}"
    days = count(uow) if kept is None else kept.remember(key, count, uow, now)
    return Chart(
        "joins", "Joins and leaves per day", "bar", [d.isoformat() for d, _, _ in days],
        [Series("joined", [j for _, j, _ in days]), Series("left", [x for _, _, x in days])],
        "members", kept.counted_at(key) if kept is not None else None,
    )  # fmt: skip


def _share(uow: UnitOfWork, plan_id: str, rounds: list[RoundRecord]) -> Chart:
    """Each round's share, the year's running total, and the plan's annual cap."""
    cap = uow.plans.get(plan_id).caps.per_year_per_member
    running: list[int | None] = []
    year, total = 0, 0
    for r in rounds:
        if r.announce_date.year != year:
            year, total = r.announce_date.year, 0
        total += r.figures.share
        running.append(total)
    series = [
        Series("share", [r.figures.share for r in rounds], True),
        Series("year to date", running, True),
    ]
    if cap is not None:
        series.append(Series("annual cap", [cap] * len(rounds), True))
    return Chart(
        f"share-{plan_id}", f"Share per round against the annual cap: {plan_id}", "line",
        [r.announce_date.isoformat() for r in rounds], series, "yuan",
    )  # fmt: skip


def _counts(uow: UnitOfWork, what: str, title: str) -> Chart:
    rows = repo(uow).claims_by(what)
    return Chart(
        f"claims-{what}", title, "bar", [k for k, _ in rows],
        [Series("claims", [n for _, n in rows])], "claims",
    )  # fmt: skip


def _collection(uow: UnitOfWork, by_plan: dict[str, list[RoundRecord]]) -> Chart:
    """Per round, what the debit batches asked for and what they collected."""
    rounds = sorted((r for rs in by_plan.values() for r in rs), key=lambda r: r.announce_date)
    got = repo(uow).collection_by_round([r.id for r in rounds])
    labels = [f"{r.plan_id} {r.announce_date.isoformat()}" for r in rounds]
    return Chart(
        "collection", "Collection per round: asked and collected", "bar", labels,
        [Series("asked", [got.get(r.id, (0, 0))[0] for r in rounds], True),
         Series("collected", [got.get(r.id, (0, 0))[1] for r in rounds], True)],
        "yuan",
    )  # fmt: skip


def csv_text(chart: Chart) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([h or "label" for h in chart.header()])
    writer.writerows(chart.rows())
    return buffer.getvalue()
