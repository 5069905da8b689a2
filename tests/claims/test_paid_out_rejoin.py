"""A member paid out in a plan cannot join it again and claim a second time (issue 10's audit
names the double payout; this rule keeps it from happening through a new membership)."""

from __future__ import annotations

from datetime import date

import pytest
from claimkit import PLAN, Kit, build
from sqlalchemy import Engine

from helpers import at, join_one
from huzhu.domain.errors import Conflict
from huzhu.services.claims import decisions


@pytest.fixture
def kit(engine: Engine) -> Kit:
    return build(engine)


def test_a_member_paid_out_cannot_join_the_same_plan_again(kit: Kit) -> None:
    claim_id = kit.submit()
    kit.run(decisions.approve, claim_id, "reviewer", at("2026-01-05"), announce=False)
    # The claimant left with reason paid-out; the same person (n=7, born 1985) joins again.
    with pytest.raises(Conflict) as refused:
        join_one(kit.engine, PLAN, at("2026-01-20"), n=7, birth=date(1985, 1, 1))
    assert refused.value.code == "already-paid-out"
    assert refused.value.field == "plan"
