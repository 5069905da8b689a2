"""A round's failed debits and payouts a page at a time, by keyset, and their counts by status.

A round of a million members may have tens of thousands of failed debits: a page reads only its
own rows through the primary key (failures: round, membership) or the (round, id) index
(payouts), never an OFFSET, and the counts come from one aggregate query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, func, literal, select, union_all

from huzhu.storage.tables_money import collection_failures as failures
from huzhu.storage.tables_money import payouts


@dataclass(frozen=True)
class KeysetPage:
    """Rows in key order; `next_after` / `previous_before` are the keys of the pages beside it
    (None at either end)."""

    rows: list[Row[Any]]
    next_after: int | None
    previous_before: int | None


@dataclass(frozen=True)
class RoundMoneyCounts:
    failures: dict[str, int]  # failed debits by status
    payouts: dict[str, int]  # payouts by status


class RoundPagesRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def counts(self, round_id: int) -> RoundMoneyCounts:
        """Failed debits and payouts of the round by status, in one aggregate query."""
        f = select(literal("f").label("kind"), failures.c.status, func.count().label("n"))
        f = f.where(failures.c.round_id == round_id).group_by(failures.c.status)
        p = select(literal("p").label("kind"), payouts.c.status, func.count().label("n"))
        p = p.where(payouts.c.round_id == round_id).group_by(payouts.c.status)
        found: dict[str, dict[str, int]] = {"f": {}, "p": {}}
        for kind, status, n in self.conn.execute(union_all(f, p)):
            found[str(kind)][str(status)] = int(n)
        return RoundMoneyCounts(failures=found["f"], payouts=found["p"])

    def failures_page(
        self, round_id: int, limit: int, *, after: int | None = None, before: int | None = None
    ) -> KeysetPage:
        """Failed debits in membership order: those after `after`, or the page before `before`."""
        return self._page(select(failures).where(failures.c.round_id == round_id),
                          failures.c.membership_id, limit, after, before)  # fmt: skip

    def payouts_page(
        self, round_id: int, limit: int, *, after: int | None = None, before: int | None = None
    ) -> KeysetPage:
        """Payouts in the order they were made (id): those after `after`, or before `before`."""
        return self._page(select(payouts).where(payouts.c.round_id == round_id),
                          payouts.c.id, limit, after, before)  # fmt: skip

    def _page(
        self, base: Any, key: Any, limit: int, after: int | None, before: int | None
    ) -> KeysetPage:
        backwards = before is not None and after is None
        if backwards:
            q = base.where(key < before).order_by(key.desc())
        else:
            q = base.where(key > after) if after is not None else base
            q = q.order_by(key)
        rows = list(self.conn.execute(q.limit(limit + 1)))
        more = len(rows) > limit  # one row past the page says whether a page lies beyond
        rows = rows[:limit]
        if backwards:
            rows.reverse()
        if not rows:
            return KeysetPage(rows, None, None)
        first, last = rows[0]._mapping[key.name], rows[-1]._mapping[key.name]
        if backwards:
            has_next, has_previous = self._any(base.where(key > last)), more
        else:
            has_next, has_previous = more, self._any(base.where(key < first))
        return KeysetPage(
            rows, int(last) if has_next else None, int(first) if has_previous else None
        )

    def _any(self, q: Any) -> bool:
        return self.conn.execute(q.limit(1)).first() is not None
