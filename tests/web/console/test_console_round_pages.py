"""A round's failed debits and payouts are paged by keyset in the repository: every row once, in
key order, forwards and backwards, with counts by status from one aggregate query."""

from __future__ import annotations

import re
from typing import Any

from consolekit import NOW, Browser, World
from sqlalchemy import Engine, insert, select

from huzhu.storage.repositories.money.round_pages import KeysetPage, RoundPagesRepository
from huzhu.storage.tables import claims
from huzhu.storage.tables_money import collection_failures, payouts

MEMBERS = [7, 3, 98, 41, 12, 55, 60, 2, 77, 31, 19, 88, 5]  # gaps and no order on purpose


def _fail(engine: Engine, round_id: int, ids: list[int], status: str = "outstanding") -> None:
    rows = [
        {"round_id": round_id, "membership_id": m, "plan_id": "xiang-hu-bao", "amount": 100,
         "reason": "insufficient-funds", "attempts": 1, "first_failed_at": NOW, "status": status}
        for m in ids
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(collection_failures), rows)


def _walk(step: Any, limit: int, keys: Any) -> tuple[list[int], list[int]]:
    """Every key met paging forwards from the start, then backwards from the last page."""
    forwards: list[int] = []
    page: KeysetPage = step(limit)
    assert page.previous_before is None
    while True:
        forwards += keys(page)
        if page.next_after is None:
            break
        page = step(limit, after=page.next_after)
    backwards = keys(page)
    while page.previous_before is not None:
        page = step(limit, before=page.previous_before)
        backwards = keys(page) + backwards
    assert page.next_after is not None or len(forwards) <= limit
    return forwards, backwards


def test_failed_debits_page_in_membership_order_without_gaps(world: World) -> None:
    engine, rid = world.api.engine, world.round_id
    _fail(engine, rid, MEMBERS[:10])
    _fail(engine, rid, MEMBERS[10:], status="written-off")
    with engine.connect() as conn:
        pages = RoundPagesRepository(conn)
        for limit in (1, 4, 5, 13, 50):
            step = lambda n, **at: pages.failures_page(rid, n, **at)  # noqa: E731
            forwards, backwards = _walk(step, limit, lambda p: [r.membership_id for r in p.rows])
            assert forwards == backwards == sorted(MEMBERS), limit
        assert pages.counts(rid).failures == {"outstanding": 10, "written-off": 3}
        assert pages.failures_page(rid, 5, after=98).rows == []
        assert pages.failures_page(rid + 1, 5).rows == []  # another round's page is its own


def test_payouts_page_in_the_order_they_were_made(world: World) -> None:
    engine, rid = world.api.engine, world.round_id
    with engine.begin() as conn:
        found = conn.execute(select(claims.c.id, claims.c.membership_id)).all()
        conn.execute(insert(payouts), [
            {"claim_id": c, "round_id": rid, "plan_id": "xiang-hu-bao", "membership_id": m,
             "amount": 1000 * (i + 1), "status": "paid" if i % 2 else "submitted",
             "gateway_ref": f"po-{c}", "submitted_at": NOW, "attempts": 1}
            for i, (c, m) in enumerate(found)
        ])  # fmt: skip
        made = [int(i) for i in conn.scalars(select(payouts.c.id).order_by(payouts.c.id))]
    assert len(made) >= 3
    with engine.connect() as conn:
        pages = RoundPagesRepository(conn)
        for limit in (1, 2, len(made)):
            step = lambda n, **at: pages.payouts_page(rid, n, **at)  # noqa: E731
            forwards, backwards = _walk(step, limit, lambda p: [r.id for r in p.rows])
            assert forwards == backwards == made, limit
        assert sum(pages.counts(rid).payouts.values()) == len(made)


def test_the_round_page_shows_fifty_failed_debits_and_links_the_next(
    world: World, operator: Browser
) -> None:
    rid = world.round_id
    _fail(world.api.engine, rid, list(range(1000, 1120)))
    first = operator.get(f"/console/rounds/{rid}")
    assert first.status_code == 200, first.text
    assert "<code>outstanding</code> 120" in first.text  # counted, not the page's rows
    assert first.text.count("<td>insufficient-funds</td>") == 50
    assert "<td>1049</td>" in first.text and "<td>1050</td>" not in first.text
    nxt = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert nxt is not None and "failures_after=1049" in nxt.group(1)
    second = operator.get(nxt.group(1).replace("&amp;", "&"))
    assert "<td>1050</td>" in second.text and "<td>1049</td>" not in second.text
    assert 'rel="prev"' in second.text
    bad = operator.get(f"/console/rounds/{rid}", params={"failures_after": "-5"})
    assert bad.status_code == 200  # a cursor out of range starts at the first page
