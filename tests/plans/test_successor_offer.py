"""Issue 9: a member who reaches Xiang Hu Bao's exit age is offered its senior plan (the plan's
`successor_plan`): an inbox message and a visible offer, never a silent move. Accepting joins the
senior plan through the normal join path."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from helpers import at, healthy, install, join_one, publish_text
from huzhu.domain.errors import Conflict, Forbidden, RuleViolation
from huzhu.domain.members import LeaveReason, Lifecycle
from huzhu.messages import render
from huzhu.plans.loader import template_text
from huzhu.services.members import successor
from huzhu.storage.uow import UnitOfWork

XHB, SENIOR = "xiang-hu-bao", "xiang-hu-bao-senior"
BIRTH = date(1966, 3, 10)  # 60 on 2026-03-10
SIXTY = date(2026, 3, 10)


def age_out(engine: Engine, plan_id: str, day: date) -> int:
    with UnitOfWork(engine) as uow:
        n = successor.age_out(uow, plan_id, day, at(day.isoformat(), 0))
        uow.commit()
    return n


def offers(engine: Engine, person_id: int) -> list[str]:
    with UnitOfWork(engine) as uow:
        found = uow.inbox.page([person_id], after_id=0, limit=50)
    return [render(m.kind, m.params, "en").title for m in found if m.kind == successor.OFFER_KIND]


def test_ageing_out_offers_the_senior_plan_and_accepting_joins_it(engine: Engine) -> None:
    install(engine, at("2025-01-01"))
    older = join_one(engine, XHB, at("2025-06-01"), n=1, birth=BIRTH)
    younger = join_one(engine, XHB, at("2025-06-01"), n=2, birth=date(1986, 1, 1))
    assert age_out(engine, XHB, SIXTY - date.resolution) == 0  # 59 the day before
    assert age_out(engine, XHB, SIXTY) == 1
    assert age_out(engine, XHB, SIXTY) == 0  # a second pass neither leaves nor offers again

    with UnitOfWork(engine) as uow:
        left = uow.memberships.get(older.membership_id)
        held = [m.plan_id for m in uow.memberships.for_person(older.person_id)]
        offer = successor.offer_of(uow, older.membership_id)
        none_for_younger = successor.offer_of(uow, younger.membership_id)
    assert (left.lifecycle, left.leave_reason) == (Lifecycle.LEFT, LeaveReason.AGE_OUT)
    assert held == [XHB]  # not moved silently
    assert offer is not None and offer.state is successor.OfferState.OFFERED
    assert offer.successor_plan == SENIOR
    assert none_for_younger is None
    titles = offers(engine, older.person_id)
    assert titles == ["xiang-hu-bao: you are offered xiang-hu-bao-senior"]
    assert offers(engine, younger.person_id) == []

    answers = healthy(engine, SENIOR)
    with UnitOfWork(engine) as uow:
        with pytest.raises(Forbidden):  # someone else's membership is not theirs to accept
            successor.accept(
                uow, older.membership_id, answers, at("2026-03-11"), person_id=younger.person_id
            )
        joined = successor.accept(uow, older.membership_id, answers, at("2026-03-11"))
        uow.commit()
    assert joined.plan_id == SENIOR and joined.person_id == older.person_id
    assert joined.illness_cover_from == date(2026, 6, 9)  # the senior plan's own 90-day wait
    with UnitOfWork(engine) as uow:
        offer = successor.offer_of(uow, older.membership_id)
        with pytest.raises(Conflict) as twice:
            successor.accept(uow, older.membership_id, answers, at("2026-03-12"))
    assert offer is not None and offer.state is successor.OfferState.ACCEPTED
    assert offer.joined_membership_id == joined.membership_id
    assert twice.value.code == "successor-offer-accepted"


def test_a_plan_without_a_successor_makes_no_offer(engine: Engine) -> None:
    install(engine, at("2025-01-01"))
    member = join_one(engine, "meituan-huzhu", at("2025-06-01"), n=1, birth=BIRTH)
    assert age_out(engine, "meituan-huzhu", SIXTY) == 1
    with UnitOfWork(engine) as uow:
        assert successor.offer_of(uow, member.membership_id) is None
        with pytest.raises(RuleViolation) as refused:
            successor.accept(uow, member.membership_id, {}, at("2026-03-11"))
    assert refused.value.code == "no-successor-offer"
    assert offers(engine, member.person_id) == []


def test_a_successor_that_is_not_installed_makes_no_offer_and_breaks_nothing(
    engine: Engine,
) -> None:
    install(engine, at("2025-01-01"))
    text = template_text("meituan-huzhu").replace('id = "meituan-huzhu"', 'id = "orphan"')
    text = text.replace(
        "exit_age_years = 60\n", 'exit_age_years = 60\nsuccessor_plan = "nowhere"\n'
    )
    publish_text(engine, text, at("2025-01-01"))
    member = join_one(engine, "orphan", at("2025-06-01"), n=1, birth=BIRTH)
    assert age_out(engine, "orphan", SIXTY) == 1
    with UnitOfWork(engine) as uow:
        assert successor.offer_of(uow, member.membership_id) is None
    assert offers(engine, member.person_id) == []
