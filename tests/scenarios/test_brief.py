"""The scenarios of the domain brief, end to end through the services, on both databases."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from helpers import at, install, join_many, join_one, kit_rounds, publish_text
from huzhu.domain.claims import ClaimState
from huzhu.domain.errors import RuleViolation
from huzhu.domain.members import LeaveReason, Lifecycle
from huzhu.plans.loader import template_text
from huzhu.services.audit.service import audit
from huzhu.services.claims import decisions, submission
from huzhu.services.money.ledger import top_up
from huzhu.services.rounds.service import run_round
from huzhu.storage.tables import claims as claims_table
from huzhu.storage.uow import UnitOfWork


def submit(engine: Engine, membership_id: int, code: str, diagnosed: str, now: str, **kw: object):
    with UnitOfWork(engine) as uow:
        claim = submission.submit(
            uow,
            submission.ClaimRequest(
                membership_id=membership_id,
                condition_code=code,
                diagnosis_date=date.fromisoformat(diagnosed),
                hospital="北京协和医院",
                evidence=("report.pdf",),
                **kw,  # type: ignore[arg-type]
            ),
            at(now),
        )
        uow.commit()
    return claim


def approve(engine: Engine, claim_id: int, now: str) -> None:
    with UnitOfWork(engine) as uow:
        decisions.approve(uow, claim_id, "reviewer", at(now))
        uow.commit()


def run(engine: Engine, plan_id: str, day: str):
    d = date.fromisoformat(day)
    with UnitOfWork(engine) as uow:
        outcome = run_round(uow, plan_id, d, at(day, 12))
        uow.commit()
    return outcome


def assert_audit_passes(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        report = audit(uow)
    assert report.ok, [c.problems for c in report.checks if not c.ok]


def small_plan(plan_id: str, payout: str, extra_caps: str = "") -> str:
    """The Meituan template with one flat payout and optional caps: the brief's toy numbers."""
    text = kit_rounds(template_text("meituan-huzhu"))
    text = text.replace('id = "meituan-huzhu"', f'id = "{plan_id}"')
    start = text.index("[payout]")
    end = text.index("[waiting]")
    text = (
        text[:start]
        + f'[payout]\nmaximum = "{payout}"\nbands = [{{ min_age_years = 0, max_age_years = 120, '
        + f'amount = "{payout}" }}]\n\n'
        + text[end:]
    )
    if extra_caps:
        text = text.replace("[collection]", f"[caps]\n{extra_caps}\n\n[collection]")
    return text


def test_1000_members_and_a_1000_yuan_claim_cost_each_one_yuan_plus_fee(engine: Engine) -> None:
    install(engine, at("2025-08-01"))
    publish_text(engine, small_plan("small-group", "1000"), at("2025-08-01"))
    claimant = join_one(engine, "small-group", at("2025-09-01"), n=7, birth=date(1985, 1, 1))
    assert join_many(engine, "small-group", 1000, at("2025-09-01")) == 1000
    claim = submit(engine, claimant.membership_id, "CI-01", "2026-01-03", "2026-01-04")
    assert claim.state is ClaimState.SUBMITTED and claim.payout == 100_000
    approve(engine, claim.id or 0, "2026-01-05")
    outcome = run(engine, "small-group", "2026-01-11")
    f = outcome.round.figures
    # The claimant's cover ended with the payout, so 1,000 members share it.
    assert (f.members, f.cases, f.payouts, f.fee) == (1000, 1, 100_000, 8_000)
    assert f.share == 108  # 1 yuan plus the 8% fee
    assert (f.collected, f.backstop, f.surplus) == (108_000, 0, 0)
    with UnitOfWork(engine) as uow:
        assert uow.archive.charge_of(outcome.round.id, claimant.membership_id) is None
        assert uow.ledger.balance("small-group:claims-payable") == -100_000
        assert uow.ledger.balance("small-group:fee-income") == -8_000
    assert_audit_passes(engine)


def test_a_member_of_two_waterdrop_plans_is_paid_by_both(engine: Engine) -> None:
    install(engine, at("2025-01-01"))
    second = template_text("waterdrop-cancer").replace(
        'id = "waterdrop-cancer"', 'id = "waterdrop-cancer-2"'
    )
    publish_text(engine, second, at("2025-01-01"))
    payouts = []
    for plan_id in ("waterdrop-cancer", "waterdrop-cancer-2"):
        m = join_one(engine, plan_id, at("2025-02-01"), n=3)
        with UnitOfWork(engine) as uow:  # the 10-yuan deposit: cover starts when it arrives
            top_up(uow, m.membership_id, 1_000, f"deposit-{plan_id}", at("2025-02-01", 11))
            uow.commit()
        join_many(engine, plan_id, 20, at("2025-02-01"))
        claim = submit(engine, m.membership_id, "CA-01", "2026-01-02", "2026-01-03")
        assert claim.state is ClaimState.SUBMITTED
        approve(engine, claim.id or 0, "2026-01-04")
        payouts.append(claim.payout)
    assert payouts == [20_000_000, 20_000_000]
    with UnitOfWork(engine) as uow:
        paid = uow.conn.scalar(
            select(func.count()).where(claims_table.c.state == ClaimState.APPROVED.value)
        )
    assert paid == 2
    assert_audit_passes(engine)


def test_fosun_takes_no_claims_before_300000_members(engine: Engine) -> None:
    install(engine, at("2025-01-01"))
    m = join_one(engine, "fosun-huzhu", at("2025-02-01"), n=5)
    join_many(engine, "fosun-huzhu", 50, at("2025-02-01"))
    with pytest.raises(RuleViolation) as info:
        submit(engine, m.membership_id, "CI-02", "2026-01-02", "2026-01-03")
    assert info.value.code == "plan-in-preparation"
    assert "300,000" in info.value.message
    with UnitOfWork(engine) as uow:
        assert uow.conn.scalar(select(func.count()).select_from(claims_table)) == 0


def test_illness_inside_the_waiting_period_is_rejected(engine: Engine) -> None:
    install(engine, at("2026-01-01"))
    m = join_one(engine, "xiang-hu-bao", at("2026-01-02"))
    claim = submit(engine, m.membership_id, "CI-01", "2026-03-01", "2026-03-02")
    assert claim.state is ClaimState.REJECTED
    assert claim.reason_code == "in-waiting-period"
    assert "2026-04-02" in (claim.reason_text or "")  # tells the member when cover starts
    with pytest.raises(Exception, match="claim-state"):
        approve(engine, claim.id or 0, "2026-03-03")


def test_accident_inside_the_waiting_period_is_paid_from_day_one(engine: Engine) -> None:
    install(engine, at("2026-01-01"))
    m = join_one(engine, "xiang-hu-bao", at("2026-01-02"), birth=date(1990, 1, 1))
    join_many(engine, "xiang-hu-bao", 30, at("2026-01-02"))
    claim = submit(engine, m.membership_id, "AC-01", "2026-01-03", "2026-01-04")
    assert claim.state is ClaimState.SUBMITTED
    assert claim.payout == 30_000_000
    approve(engine, claim.id or 0, "2026-01-05")
    outcome = run(engine, "xiang-hu-bao", "2026-01-07")
    f = outcome.round.figures
    assert f.cases == 1 and f.members == 30
    # 0.1 yuan per member per case: the operator's backstop pays the rest.
    assert f.share > 10 and f.collected == 30 * 10
    assert f.backstop == f.payouts + f.fee - f.collected
    assert_audit_passes(engine)


def test_the_annual_cap_stops_charges_and_the_backstop_pays(engine: Engine) -> None:
    install(engine, at("2025-01-01"))
    plan = small_plan("capped", "1000", 'per_year_per_member = "60"')
    publish_text(engine, plan, at("2025-01-01"))
    claimants = [
        join_one(engine, "capped", at("2025-02-01"), n=k, birth=date(1980, 1, k)) for k in (1, 2, 3)
    ]
    join_many(engine, "capped", 10, at("2025-02-01"))
    rounds = []
    for claimant, day in zip(claimants, ("2026-01-11", "2026-01-21", "2027-01-11"), strict=True):
        announce = date.fromisoformat(day)
        diagnosed = announce.replace(day=announce.day - 8).isoformat()
        claim = submit(engine, claimant.membership_id, "CI-03", diagnosed, diagnosed)
        approve(engine, claim.id or 0, diagnosed)
        rounds.append(run(engine, "capped", day).round.figures)
    first, second, next_year = rounds
    # 108,000 fen over 12 members (the two later claimants share too): 9,000 each, capped at
    # 6,000 a year.
    assert first.members == 12
    assert (first.share, first.collected, first.backstop) == (9_000, 72_000, 36_000)
    # Same calendar year: everyone is at the cap, the backstop pays it all.
    assert (second.collected, second.backstop) == (0, 108_000)
    # A new year: the cap starts again (10 members left: 10,800 each, capped at 6,000).
    assert next_year.share == 10_800
    assert (next_year.collected, next_year.backstop) == (60_000, 48_000)
    assert_audit_passes(engine)


def test_a_member_who_turns_66_leaves_the_accident_plan(engine: Engine) -> None:
    install(engine, at("2025-01-01"))
    old = join_one(engine, "dishui-accident", at("2025-06-01"), n=9, birth=date(1960, 3, 10))
    young = join_one(engine, "dishui-accident", at("2025-06-01"), n=8, birth=date(1990, 3, 10))
    with UnitOfWork(engine) as uow:  # the 10-yuan deposit: cover starts when it arrives
        for m in (old, young):
            top_up(uow, m.membership_id, 1_000, f"deposit-{m.membership_id}", at("2025-06-01", 11))
        uow.commit()
    before = run(engine, "dishui-accident", "2026-03-07")
    assert before.aged_out == 0
    after = run(engine, "dishui-accident", "2026-04-07")
    assert after.aged_out == 1
    with UnitOfWork(engine) as uow:
        gone = uow.memberships.get(old.membership_id)
        assert gone.lifecycle is Lifecycle.LEFT and gone.leave_reason is LeaveReason.AGE_OUT
        assert uow.memberships.get(young.membership_id).lifecycle is Lifecycle.ACTIVE
        assert [e.reason for e in uow.memberships.events(old.membership_id)] == [
            "joined",
            "awaiting-deposit",
            "topped-up",
            "age-out",
        ]
    assert before.round.figures.members == 2 and after.round.figures.members == 1


def test_running_a_round_twice_changes_nothing(engine: Engine) -> None:
    install(engine, at("2025-01-01"))
    publish_text(engine, small_plan("twice", "1000"), at("2025-01-01"))
    m = join_one(engine, "twice", at("2025-02-01"))
    join_many(engine, "twice", 7, at("2025-02-01"))
    claim = submit(engine, m.membership_id, "CI-01", "2026-01-02", "2026-01-03")
    approve(engine, claim.id or 0, "2026-01-04")
    first = run(engine, "twice", "2026-01-11")
    again = run(engine, "twice", "2026-01-11")
    assert first.created and not again.created
    assert again.round == first.round
    with UnitOfWork(engine) as uow:
        assert len(uow.ledger.transactions("twice")) == 1
    assert_audit_passes(engine)
