"""Issue 9: a claim records its cause, and a plan may cover a condition caused by an accident
from the accident wait (Xiang Hu Bao: day one). A severe brain injury (CI-17) from an accident on
the day of joining is covered; the same condition from an illness waits 90 days."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from helpers import at, install, join_one
from huzhu.domain.claims import ClaimState
from huzhu.domain.plan_rules import Cause
from huzhu.services.claims import service as claim_svc
from huzhu.services.claims import submission
from huzhu.storage.uow import UnitOfWork

PLAN = "xiang-hu-bao"


def submit(engine: Engine, membership_id: int, cause: Cause) -> claim_svc.Claim:
    with UnitOfWork(engine) as uow:
        claim = submission.submit(
            uow,
            submission.ClaimRequest(
                membership_id, "CI-17", date(2026, 3, 1), "北京天坛医院", ("ct.pdf",), cause=cause
            ),
            at("2026-03-02"),
        )
        uow.commit()
    with UnitOfWork(engine) as uow:  # what was stored
        return uow.claims.get(claim.id or 0)


def test_a_condition_caused_by_an_accident_is_covered_from_day_one(engine: Engine) -> None:
    install(engine, at("2025-01-01"))
    accident = join_one(engine, PLAN, at("2026-03-01", 8), n=1).membership_id
    illness = join_one(engine, PLAN, at("2026-03-01", 8), n=2).membership_id
    injured = submit(engine, accident, Cause.ACCIDENT)
    assert injured.state is ClaimState.SUBMITTED, injured.reason_text
    assert injured.cause is Cause.ACCIDENT
    ill = submit(engine, illness, Cause.ILLNESS)
    assert (ill.state, ill.reason_code, ill.cause) == (
        ClaimState.REJECTED,
        "in-waiting-period",
        Cause.ILLNESS,
    )
