"""Issue 9: every path to a shared claim leaves a record that `huzhu verify` accepts. A claim
approved final at once (`claims approve --final`) is announced in the public log too."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from test_public_record import PLAN, ROUND_DAY, assert_verify_passes, cli, small_plan

from helpers import at, install, join_many, join_one, publish_text
from huzhu.domain.claims import ClaimState
from huzhu.services.claims import submission
from huzhu.services.record.public_record import CASE_ANNOUNCED
from huzhu.storage.uow import UnitOfWork


def test_a_claim_approved_final_is_announced_and_verifies(engine: Engine) -> None:
    install(engine, at("2025-08-01"))
    publish_text(engine, small_plan(PLAN, "1000"), at("2025-08-01"))
    claimant = join_one(engine, PLAN, at("2025-09-01"), n=7, birth=date(1985, 1, 1))
    assert join_many(engine, PLAN, 10, at("2025-09-01")) == 10
    with UnitOfWork(engine) as uow:
        claim = submission.submit(
            uow,
            submission.ClaimRequest(
                claimant.membership_id, "CI-01", date(2026, 1, 3), "北京协和医院", ("a.pdf",)
            ),
            at("2026-01-04"),
        )
        uow.commit()
    assert claim.state is ClaimState.SUBMITTED
    result = cli(engine, "claims", "approve", str(claim.id), "--by", "reviewer", "--final")
    assert result.exit_code == 0, result.output
    with UnitOfWork(engine) as uow:
        entry = uow.public_record.latest(CASE_ANNOUNCED, f"claim:{claim.id}")
        assert uow.claims.get(claim.id or 0).state is ClaimState.APPROVED
    assert entry is not None
    assert cli(engine, "rounds", "run", "--plan", PLAN, "--date", ROUND_DAY).exit_code == 0
    assert_verify_passes(engine)
