"""Every shipped plan template runs end to end, on SQLite and on PostgreSQL.

Members join, a covered condition diagnosed after the waiting period is claimed and approved, the
plan's next round charges the members, and the audit passes. Fosun Huzhu takes claims only once
300,000 members have joined, so its run joins 300,000 members (the threshold is not lowered).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, select

from helpers import at, install, join_many, join_one
from huzhu.domain.claims import Claim, ClaimState
from huzhu.domain.errors import RuleViolation
from huzhu.domain.members import Lifecycle
from huzhu.domain.plan_rules import Condition
from huzhu.domain.plan_schedule import CollectionMode
from huzhu.domain.plans import Plan
from huzhu.plans.loader import TEMPLATE_IDS, load_catalogue
from huzhu.services.audit.service import audit
from huzhu.services.claims import decisions, submission
from huzhu.services.money.ledger import top_up
from huzhu.services.rounds.service import run_round
from huzhu.storage.tables import memberships
from huzhu.storage.uow import UnitOfWork

JOINED = date(2025, 2, 1)
MEMBERS = 20  # besides the claimant
# Ages at joining, inside each plan's range: senior 60-70, dishui 1-65 (adults), others 18-50.
AGES = {"xiang-hu-bao-senior": 64, "dishui-accident": 40}
ADULT_AGE = 35
DEPOSIT = 1_000  # 10 yuan, the prepaid plans' deposit
FOSUN = "fosun-huzhu"
BATCH = 50_000
APART = "440305"  # join_one's region: join_many numbers from 110101 upwards never reach it


def birth_for(plan_id: str) -> date:
    """Born on 1 December: the age at joining (1 February) still holds at diagnosis."""
    return date(JOINED.year - 1 - AGES.get(plan_id, ADULT_AGE), 12, 1)


def covered_condition(plan: Plan, age: int) -> Condition:
    """The first catalogue condition the plan covers and pays at this age (and severity)."""
    for condition in load_catalogue().conditions.values():
        if not plan.cover.covers(condition):
            continue
        if plan.payout.by_disability_grade and condition.code == "AC-02":
            continue  # disability is paid by grade: keep to conditions paid in full
        if plan.payout_for(age, condition.severity) is not None:
            return condition
    raise AssertionError(f"{plan.id} pays no catalogue condition at age {age}")


def join_members(engine: Engine, plan_id: str, count: int) -> int:
    """`count` members with distinct ID numbers: batches differ by birthday (1-28 December)."""
    joined, start = 0, birth_for(plan_id)
    for k, first in enumerate(range(0, count, BATCH)):
        size = min(BATCH, count - first)
        joined += join_many(
            engine, plan_id, size, at(JOINED.isoformat()), birth=start + timedelta(days=k)
        )
    return joined


def submit(engine: Engine, membership_id: int, condition: Condition, diagnosed: date) -> Claim:
    with UnitOfWork(engine) as uow:
        claim = submission.submit(
            uow,
            submission.ClaimRequest(
                membership_id=membership_id,
                condition_code=condition.code,
                diagnosis_date=diagnosed,
                hospital="北京协和医院",
                evidence=("diagnosis.pdf", "pathology.pdf"),
            ),
            at((diagnosed + timedelta(days=1)).isoformat()),
        )
        uow.commit()
    return claim


# Joining 300,000 members takes 20-60 s on SQLite and 40-350 s on PostgreSQL (2 CPUs, 37 s when the
# machine is otherwise idle): slow, but kept in the default run.
PLANS = [pytest.param(p, marks=pytest.mark.slow) if p == FOSUN else p for p in TEMPLATE_IDS]


@pytest.mark.parametrize("plan_id", PLANS)
def test_a_template_runs_end_to_end(engine: Engine, plan_id: str) -> None:
    install(engine, at("2025-01-01"))
    with UnitOfWork(engine) as uow:
        plan = uow.plans.get(plan_id, JOINED)
    birth = birth_for(plan_id)
    age = AGES.get(plan_id, ADULT_AGE)
    claimant = join_one(engine, plan_id, at(JOINED.isoformat()), n=1, birth=birth, region=APART)
    # Members besides the claimant: with the claimant, exactly the activation threshold if any.
    others = plan.activation_threshold - 1 if plan.activation_threshold else MEMBERS
    assert join_members(engine, plan_id, others - 1) == others - 1

    condition = covered_condition(plan, age)
    diagnosed = JOINED + timedelta(days=plan.waiting.days_for(condition.category) + 5)
    if plan.activation_threshold:
        # One member short of the threshold the plan is still in preparation.
        with pytest.raises(RuleViolation) as early:
            submit(engine, claimant.membership_id, condition, diagnosed)
        assert early.value.code == "plan-in-preparation"
    join_one(engine, plan_id, at(JOINED.isoformat()), n=2, birth=birth, region=APART)
    with UnitOfWork(engine) as uow:
        live = uow.memberships.count_live(plan_id)
        # Everyone who joined: members of a prepaid plan wait for their deposit, suspended.
        roster = list(
            uow.conn.scalars(
                select(memberships.c.id)
                .where(memberships.c.plan_id == plan_id)
                .order_by(memberships.c.id)
            )
        )
    assert len(roster) == others + 1
    if plan.collection.mode is not CollectionMode.PREPAID:
        assert live == others + 1 and live >= plan.activation_threshold

    deposit = 0
    if plan.collection.mode is CollectionMode.PREPAID:
        deposit = plan.collection.initial_deposit or DEPOSIT
        with UnitOfWork(engine) as uow:
            for k, membership_id in enumerate(roster):
                when = at(JOINED.isoformat(), 11) + timedelta(seconds=k)
                top_up(uow, membership_id, deposit, f"deposit-{membership_id}", when)
            uow.commit()

    claim = submit(engine, claimant.membership_id, condition, diagnosed)
    assert claim.state is ClaimState.SUBMITTED, (claim.reason_code, claim.reason_text)
    assert claim.age_at_diagnosis == age
    assert claim.payout == plan.payout_for(age, condition.severity) and claim.payout
    approved = diagnosed + timedelta(days=2)
    with UnitOfWork(engine) as uow:
        decisions.approve(uow, claim.id or 0, "reviewer", at(approved.isoformat()))
        uow.commit()

    announce = plan.calendar.announce_dates(approved + timedelta(days=1), approved + timedelta(45))
    with UnitOfWork(engine) as uow:
        outcome = run_round(uow, plan_id, announce[0], at(announce[0].isoformat(), 12))
        uow.commit()
    f = outcome.round.figures
    assert outcome.created
    assert f.members == others  # the claimant's cover ended with the payout
    assert f.cases == 1 and f.payouts == claim.payout
    assert f.collected > 0
    assert f.collected + f.backstop - f.surplus == f.payouts + f.fee - f.carry_in

    with UnitOfWork(engine) as uow:
        shared = uow.claims.get(claim.id or 0)
        in_round = uow.claims.list(round_id=outcome.round.id)
        claimant_now = uow.memberships.get(claimant.membership_id)
        payer = roster[-1]
        charge = uow.archive.charge_of(outcome.round.id, payer)
        balance = uow.ledger.member_balance(payer)
        report = audit(uow)
    assert shared.state is ClaimState.SHARED and shared.round_id == outcome.round.id
    assert [c.id for c in in_round] == [claim.id]
    assert claimant_now.lifecycle is Lifecycle.LEFT
    assert charge is not None and charge > 0
    assert balance == deposit - charge
    assert report.ok, [c.problems for c in report.checks if not c.ok]
