"""Issue 9: a childhood illness is claimable only when diagnosed under the plan's
`childhood_max_age_years` (Xiaomi Huzhu: assumed 18). A claim for one by a member at or over that
age at diagnosis is refused with its own code, and the refusal quotes the plan rule."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from helpers import at, healthy, id_number, install, join_one
from huzhu.domain.claims import ClaimState
from huzhu.services.claims import service as claim_svc
from huzhu.services.claims import submission
from huzhu.services.members.service import JoinRequest, PersonDetails, join
from huzhu.storage.uow import UnitOfWork

PLAN = "xiaomi-huzhu"
DIAGNOSED = date(2026, 6, 1)  # 90 days after joining on 2026-03-01 is 2026-05-30


def submit(engine: Engine, membership_id: int, code: str) -> claim_svc.Claim:
    with UnitOfWork(engine) as uow:
        claim = submission.submit(
            uow,
            submission.ClaimRequest(membership_id, code, DIAGNOSED, "北京儿童医院", ("dx.pdf",)),
            at("2026-06-02"),
        )
        uow.commit()
    with UnitOfWork(engine) as uow:  # what was stored
        return uow.claims.get(claim.id or 0)


def join_child(engine: Engine, n: int, birth: date, guardian_id: str) -> int:
    answers = healthy(engine, PLAN)
    with UnitOfWork(engine) as uow:
        result = join(
            uow,
            JoinRequest(
                plan_id=PLAN,
                person=PersonDetails(id_number(n, birth), "吴小宝"),
                health_answers=answers,
                guardian_id_number=guardian_id,
            ),
            at("2026-03-01"),
        )
        uow.commit()
    return result.membership_id


def test_a_childhood_illness_at_or_over_the_plans_age_is_refused(engine: Engine) -> None:
    install(engine, at("2025-01-01"))
    joined = at("2026-03-01")
    parent = date(1985, 1, 1)
    join_one(engine, PLAN, joined, n=1, birth=parent)
    child = join_child(engine, 2, date(2016, 5, 1), id_number(1, parent))
    # 17 on joining, 18 on the day of diagnosis
    eighteen = join_child(engine, 3, DIAGNOSED.replace(year=2008), id_number(1, parent))
    young = submit(engine, child, "CH-02")
    assert young.state is ClaimState.SUBMITTED, young.reason_text
    assert young.age_at_diagnosis == 10
    adult = submit(engine, eighteen, "CH-02")
    assert (adult.state, adult.reason_code) == (ClaimState.REJECTED, "childhood-age-exceeded")
    assert adult.age_at_diagnosis == 18
    assert adult.reason_text is not None and "under age 18" in adult.reason_text
    # The same member's critical illness is not limited by the childhood age.
    assert submit(engine, eighteen, "CI-01").state is ClaimState.SUBMITTED
