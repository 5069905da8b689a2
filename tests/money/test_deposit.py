"""Issue 9: joining a prepaid plan asks its deposit (`initial_deposit`) through the gateway, and
cover waits for it; a member whose cover was suspended at the diagnosis date cannot claim."""

from __future__ import annotations

from datetime import date

import pytest
from moneykit import Sandbox
from sqlalchemy import Engine

from helpers import at, healthy, id_number, install
from huzhu.domain.claims import ClaimState
from huzhu.domain.errors import InvalidInput
from huzhu.domain.members import Lifecycle
from huzhu.services.claims import submission
from huzhu.services.members.service import JoinRequest, PersonDetails, join
from huzhu.services.money.ledger import top_up
from huzhu.storage.repositories.members.cover import CoverRepository
from huzhu.storage.tables_money import sandbox_requests
from huzhu.storage.uow import UnitOfWork

PLAN = "qingsong-huzhu"  # a 10-yuan deposit, cover from a balance of 0.01 yuan


def request(n: int, key: str | None, answers: dict[str, bool]) -> JoinRequest:
    person = PersonDetails(id_number=id_number(n, date(1990, 1, 1)), name="吴小漫")
    if key is None:
        return JoinRequest(plan_id=PLAN, person=person, health_answers=answers)
    return JoinRequest(plan_id=PLAN, person=person, health_answers=answers, deposit_key=key)


def test_joining_a_prepaid_plan_asks_the_deposit_through_the_gateway(engine: Engine) -> None:
    install(engine, at("2025-08-01"))
    box = Sandbox(engine)
    box.set(failure_bp=0)
    answers = healthy(engine, PLAN)
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput) as refused:
        join(uow, request(1, None, answers), at("2025-09-01"), gateway=box(uow.conn))
    assert (refused.value.code, refused.value.field) == ("deposit-required", "deposit_key")
    with UnitOfWork(engine) as uow:
        joined = join(uow, request(1, "app-1", answers), at("2025-09-01"), gateway=box(uow.conn))
        uow.commit()
    with UnitOfWork(engine) as uow:
        m = uow.memberships.get(joined.membership_id)
        asked = uow.conn.execute(sandbox_requests.select()).all()
    assert m.lifecycle is Lifecycle.SUSPENDED  # no cover before the deposit arrives
    assert len(asked) == 1
    box.drain(at("2025-09-01"))
    with UnitOfWork(engine) as uow:
        assert uow.ledger.member_balance(joined.membership_id) == 1000
        assert uow.memberships.get(joined.membership_id).lifecycle is Lifecycle.ACTIVE
        reasons = [e.reason for e in uow.memberships.events(joined.membership_id)]
    assert reasons == ["joined", "awaiting-deposit", "topped-up"]


def test_a_diagnosis_while_cover_was_suspended_is_refused(engine: Engine) -> None:
    install(engine, at("2025-08-01"))
    answers = healthy(engine, PLAN)
    with UnitOfWork(engine) as uow:  # joined without a gateway: waits for the deposit
        joined = join(uow, request(2, None, answers), at("2025-08-01"))
        uow.commit()
    mid = joined.membership_id
    with UnitOfWork(engine) as uow:
        top_up(uow, mid, 1000, "deposit", at("2025-08-02"))
        uow.commit()
    # Suspended from 1 to 10 January 2026 (the balance ran out), topped up on the 10th.
    with UnitOfWork(engine) as uow:
        CoverRepository(uow.conn).suspend(mid, "low-balance", at("2026-01-01"))
        uow.commit()
    with UnitOfWork(engine) as uow:
        top_up(uow, mid, 1000, "again", at("2026-01-10"))
        assert uow.memberships.get(mid).lifecycle is Lifecycle.ACTIVE
        uow.commit()
    with UnitOfWork(engine) as uow:
        claim = submission.submit(
            uow,
            submission.ClaimRequest(mid, "CI-01", date(2026, 1, 5), "北京协和医院", ("a.pdf",)),
            at("2026-01-11"),
        )
        uow.commit()
    assert claim.state is ClaimState.REJECTED
    assert claim.reason_code == "cover-suspended"
