"""The dashboard's joins and leaves per day are a kept figure: the page says when they were
counted, and the same count is served until it is refreshed."""

from __future__ import annotations

import time

from consolekit import Browser, World
from test_console_pages import NEXT_DAY

from huzhu.domain.plan_fields import local_date
from huzhu.storage.repositories.console.repository import ConsoleRepository
from huzhu.storage.uow import UnitOfWork


def test_the_joins_chart_says_when_it_was_counted(world: World, operator: Browser) -> None:
    page = operator.get("/console/dashboard?lang=en")
    assert page.status_code == 200
    joins = page.text[page.text.index('id="t-joins"') :]
    joins = joins[: joins.index("</section>")]
    assert "Counted at" in joins and "at most this many minutes old: 2" in joins
    members = page.text[page.text.index('id="t-members"') :]
    assert "Counted at" not in members[: members.index("</section>")]  # read live


def test_every_plans_recent_rounds_in_one_query_are_each_plans_own(world: World) -> None:
    with UnitOfWork(world.api.engine) as uow:
        for limit in (1, 24):
            together = ConsoleRepository(uow.conn).recent_rounds(limit)
            one_by_one = {p: uow.rounds.recent(p, limit=limit) for p in uow.plans.ids()}
            assert together == {p: rs for p, rs in one_by_one.items() if rs}
            assert together  # the world has run a round


def test_a_round_run_from_the_console_drops_the_kept_home_cards(
    world: World, operator: Browser
) -> None:
    """The home page's cards (each plan's last share) are kept; a round run in this process
    shows there at once, not when the cards are next refreshed."""
    kept = operator.client.app.state.headcounts
    world.api.clock.now = world.api.clock.now.replace(month=3, day=25)  # past NEXT_DAY's lock
    home = f"home:{local_date(world.api.clock.now)}"
    assert operator.get("/").status_code == 200
    assert kept.counted_at(home) is not None
    ran = operator.post(
        "/console/rounds/run", {"plan_id": "xiang-hu-bao", "announce_date": NEXT_DAY}
    )
    assert ran.status_code == 303, ran.text
    for _ in range(400):  # the round runs in the background: wait for its end
        if operator.get(f"{ran.headers['location']}/progress.json").json()["finished"]:
            break
        time.sleep(0.05)
    assert kept.counted_at(home) is None
    assert kept.counted_at("members:xiang-hu-bao") is not None  # the counts themselves stay
