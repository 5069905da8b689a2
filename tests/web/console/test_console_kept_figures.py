"""The dashboard's joins and leaves per day are a kept figure: the page says when they were
counted, and the same count is served until it is refreshed."""

from __future__ import annotations

from consolekit import Browser, World


def test_the_joins_chart_says_when_it_was_counted(world: World, operator: Browser) -> None:
    page = operator.get("/console/dashboard?lang=en")
    assert page.status_code == 200
    joins = page.text[page.text.index('id="t-joins"') :]
    joins = joins[: joins.index("</section>")]
    assert "Counted at" in joins and "at most this many minutes old: 2" in joins
    members = page.text[page.text.index('id="t-members"') :]
    assert "Counted at" not in members[: members.index("</section>")]  # read live
