"""`huzhu members age-out` and `huzhu members offer`: an operator ages members out of Xiang Hu Bao,
sees the senior plan offered (not joined), and the member accepts it with the senior plan's own
health declaration (issue 9)."""

from __future__ import annotations

from datetime import date

from clikit import HEALTHY, init, join_args, membership_of, ok, said
from sqlalchemy import Engine

from helpers import id_number

SIXTY = id_number(5, date(1966, 1, 5))  # 60 on 2026-01-05
MOMENT = "2026-01-05T12:00:00+08:00"


def test_age_out_offers_the_senior_plan_and_accept_joins_it(
    engine: Engine, database_url: str
) -> None:
    init(database_url)
    old = membership_of(ok(database_url, *join_args(SIXTY, *HEALTHY)))
    assert "1 member(s) of xiang-hu-bao left" in said(
        database_url, MOMENT, "members", "age-out", "--plan", "xiang-hu-bao"
    )
    shown = said(database_url, MOMENT, "members", "offer", "--membership", str(old))
    assert "xiang-hu-bao-senior offered on 2026-01-05; offered" in shown
    joined = said(
        database_url, MOMENT, "members", "offer", "--membership", str(old), "--accept",
        "--declare-healthy",
    )  # fmt: skip
    assert "joined xiang-hu-bao-senior as membership" in joined
    assert "; accepted (membership" in said(
        database_url, MOMENT, "members", "offer", "--membership", str(old)
    )
    # A second accept is refused; a membership that did not age out has no offer.
    assert "successor-offer-accepted" in said(
        database_url, MOMENT, "members", "offer", "--membership", str(old), "--accept", code=2
    )
    young = membership_of(ok(database_url, *join_args(id_number(6, date(1990, 1, 1)), *HEALTHY)))
    assert "has no plan offer" in said(
        database_url, MOMENT, "members", "offer", "--membership", str(young), code=1
    )
