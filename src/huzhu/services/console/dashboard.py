"""The console's dashboard: each chart's labels and series, also served as a table and as CSV.

Money stays in fen here; the page and the CSV show it as yuan text (`format_yuan`), and only the
chart's drawing turns that text into a number on the screen.

Titles, series names and units are English msgids marked with `N_` (babel.cfg extracts this
package): the page words them in the reader's language through `heading`, `header` and `spec`;
the CSV keeps them as they are, a data file's column names.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from huzhu.domain.money import format_yuan
from huzhu.domain.msgid import N_
from huzhu.domain.plan_fields import local_date
from huzhu.services.console.service import repo
from huzhu.services.plans.figures import Headcounts
from huzhu.storage.repositories.rounds.repository import RoundRecord
from huzhu.storage.uow import UnitOfWork

ROUNDS_SHOWN = 24
DAYS_SHOWN = 90
MEMBERS, YUAN, CLAIMS = N_("Members"), N_("yuan"), N_("Claims")

Translate = Callable[[str], str]


def _as_is(text: str) -> str:
    return text


def _word(tr: Translate, text: str) -> str:
    """`tr` of a text, but never of "": gettext("") is the catalogue's header."""
    return tr(text) if text else text


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
    subject: str = ""  # what a chart of one thing is about (a plan id), after its title

    def heading(self, tr: Translate = _as_is) -> str:
        return f"{tr(self.title)}: {self.subject}" if self.subject else tr(self.title)

    def rows(self, tr: Translate = _as_is) -> list[list[str]]:
        return [
            [_word(tr, label), *(s.shown(i) for s in self.series)]
            for i, label in enumerate(self.labels)
        ]

    def header(self, tr: Translate = _as_is) -> list[str]:
        return ["", *(_word(tr, s.label) for s in self.series)]

    def spec(self, tr: Translate = _as_is) -> dict[str, object]:
        """What charts.js draws: money as exact yuan text, counts as integers; words by `tr`
        (plan ids, dates and codes are no msgids and stay as they are)."""
        return {
            "kind": self.kind,
            "labels": [_word(tr, label) for label in self.labels],
            "series": [
                {
                    "label": _word(tr, s.label),
                    "values": [s.shown(i) or None for i in range(len(self.labels))],
                }
                for s in self.series
            ],
            "unit": _word(tr, self.unit),
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
        Chart("members", N_("Members at each round, by plan"), "line", members.labels,
              members.series, MEMBERS),
        _joins(uow, now, kept),
    ]  # fmt: skip
    out += [_share(uow, plan_id, rs) for plan_id, rs in by_plan.items() if rs]
    out += [
        _counts(uow, "condition", N_("Claims by condition")),
        _counts(uow, "age", N_("Claims by age at diagnosis (decade)")),
        _counts(uow, "province", N_("Claims by province")),
        _collection(uow, by_plan),
        Chart("backstop", N_("Backstop spend per round"), "bar", backstop.labels,
              backstop.series, YUAN),
    ]  # fmt: skip
    return out


def _joins(uow: UnitOfWork, now: datetime, kept: Headcounts | None) -> Chart:
    def count(u: UnitOfWork) -> list[tuple[date, int, int]]:
        return repo(u).joins_and_leaves(now - timedelta(days=DAYS_SHOWN))

    key = f"joins:{local_date(now)}"
    days = count(uow) if kept is None else kept.remember(key, count, uow, now)
    return Chart(
        "joins", N_("Joins and leaves per day"), "bar", [d.isoformat() for d, _, _ in days],
        [Series(N_("Joins"), [j for _, j, _ in days]),
         Series(N_("Leaves"), [x for _, _, x in days])],
        MEMBERS, kept.counted_at(key) if kept is not None else None,
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
        Series(N_("Share per member"), [r.figures.share for r in rounds], True),
        Series(N_("Year to date"), running, True),
    ]
    if cap is not None:
        series.append(Series(N_("Annual cap"), [cap] * len(rounds), True))
    return Chart(
        f"share-{plan_id}", N_("Share per round against the annual cap"), "line",
        [r.announce_date.isoformat() for r in rounds], series, YUAN, subject=plan_id,
    )  # fmt: skip


def _counts(uow: UnitOfWork, what: str, title: str) -> Chart:
    rows = repo(uow).claims_by(what)
    return Chart(
        f"claims-{what}", title, "bar", [k for k, _ in rows],
        [Series(CLAIMS, [n for _, n in rows])], CLAIMS,
    )  # fmt: skip


def _collection(uow: UnitOfWork, by_plan: dict[str, list[RoundRecord]]) -> Chart:
    """Per round, what the debit batches asked for and what they collected."""
    rounds = sorted((r for rs in by_plan.values() for r in rs), key=lambda r: r.announce_date)
    got = repo(uow).collection_by_round([r.id for r in rounds])
    labels = [f"{r.plan_id} {r.announce_date.isoformat()}" for r in rounds]
    return Chart(
        "collection", N_("Collection per round: asked and collected"), "bar", labels,
        [Series(N_("Asked"), [got.get(r.id, (0, 0))[0] for r in rounds], True),
         Series(N_("Collected"), [got.get(r.id, (0, 0))[1] for r in rounds], True)],
        YUAN,
    )  # fmt: skip


def csv_text(chart: Chart) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([h or "label" for h in chart.header()])
    writer.writerows(chart.rows())
    return buffer.getvalue()
