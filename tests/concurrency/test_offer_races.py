"""Issue 9: a successor offer accepted several times at once (double taps, retries) joins the
successor plan once; every other acceptance is refused, on PostgreSQL."""

from __future__ import annotations

from datetime import date
from functools import partial

from racekit import one_winner, race, tally
from sqlalchemy import Engine, text

from helpers import at, healthy, install, join_one
from huzhu.services.members import successor
from huzhu.storage.uow import UnitOfWork

TIMES = 4


def _accept(engine: Engine, membership_id: int, answers: dict[str, bool]) -> int:
    with UnitOfWork(engine) as uow:
        joined = successor.accept(uow, membership_id, answers, at("2026-03-11"))
        uow.commit()
    return joined.membership_id


def test_an_offer_accepted_at_once_joins_the_successor_once(postgres: Engine) -> None:
    install(postgres, at("2025-01-01"))
    member = join_one(postgres, "xiang-hu-bao", at("2025-06-01"), n=1, birth=date(1966, 3, 10))
    with UnitOfWork(postgres) as uow:
        assert successor.age_out(uow, "xiang-hu-bao", date(2026, 3, 10), at("2026-03-10", 0))
        uow.commit()
    answers = healthy(postgres, "xiang-hu-bao-senior")
    outcomes = race([partial(_accept, postgres, member.membership_id, answers)] * TIMES)
    one_winner(outcomes, "409 successor-offer-accepted")
    assert tally(outcomes)["409 successor-offer-accepted"] == TIMES - 1
    with postgres.connect() as conn:
        senior = conn.scalar(
            text("SELECT count(*) FROM memberships WHERE plan_id = 'xiang-hu-bao-senior'")
        )
    assert senior == 1
