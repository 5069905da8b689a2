"""Issue 9: a plan that needs members before it starts (Fosun: 300,000). Activation latches, is
recorded once in the public log, the waiting period runs from the later of joining and activation,
and an illness diagnosed before activation is refused with its own code."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from helpers import at, install, join_one, publish_text
from huzhu.domain.claims import Claim, ClaimState
from huzhu.domain.errors import RuleViolation
from huzhu.plans.loader import template_text
from huzhu.services.claims import submission
from huzhu.services.members.service import leave
from huzhu.services.plans.activation import PLAN_ACTIVATED
from huzhu.storage.tables_record import public_log
from huzhu.storage.uow import UnitOfWork

PLAN = "fosun-small"
THRESHOLD = 5


def small_fosun() -> str:
    doc = template_text("fosun-huzhu").replace('id = "fosun-huzhu"', f'id = "{PLAN}"')
    return doc.replace("activation_threshold = 300000", f"activation_threshold = {THRESHOLD}")


def claim(engine: Engine, membership_id: int, diagnosed: str, submitted: str) -> Claim:
    with UnitOfWork(engine) as uow:
        result = submission.submit(
            uow,
            submission.ClaimRequest(
                membership_id, "CI-01", date.fromisoformat(diagnosed), "北京协和医院", ("a.pdf",)
            ),
            at(submitted),
        )
        uow.commit()
    return result


def activations(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(
                select(func.count())
                .select_from(public_log)
                .where(public_log.c.kind == PLAN_ACTIVATED)
            )
            or 0
        )


def test_activation_latches_and_the_wait_runs_from_it(engine: Engine) -> None:
    install(engine, at("2025-01-01"))
    publish_text(engine, small_fosun(), at("2025-01-01"))
    early = [
        join_one(engine, PLAN, at("2025-09-01"), n=n).membership_id for n in range(1, THRESHOLD)
    ]
    with pytest.raises(RuleViolation) as refused:
        claim(engine, early[0], "2025-09-10", "2025-09-11")
    assert refused.value.code == "plan-in-preparation"
    assert activations(engine) == 0

    join_one(engine, PLAN, at("2025-10-01"), n=THRESHOLD)  # the fifth member: in force
    assert activations(engine) == 1
    with UnitOfWork(engine) as uow:  # a member leaves: the plan stays in force
        leave(uow, early[3], at("2025-10-02"))
        uow.commit()
    join_one(engine, PLAN, at("2025-10-03"), n=THRESHOLD + 1)
    assert activations(engine) == 1  # recorded once

    # Diagnosed in preparation, claimed once in force: refused with its own code.
    before = claim(engine, early[0], "2025-09-20", "2025-10-05")
    assert (before.state, before.reason_code) == (
        ClaimState.REJECTED,
        "diagnosed-before-activation",
    )
    # 95 days after joining but 65 after activation: still waiting.
    waiting = claim(engine, early[1], "2025-12-05", "2025-12-06")
    assert (waiting.state, waiting.reason_code) == (ClaimState.REJECTED, "in-waiting-period")
    # 90 days after activation: covered.
    covered = claim(engine, early[2], "2025-12-30", "2025-12-31")
    assert covered.state is ClaimState.SUBMITTED, covered.reason_text
