"""`huzhu demo`: months of living plans, ending now, run through the platform's own services.

A synthetic population joins four plans over the months before the demo's `now` (a first
cohort on the first day, then weekly cohorts), illnesses and accidents arrive at age-based
incidence, members claim and the reviewer decides, rounds lock on each plan's calendar, the
sandbox gateway debits members and pays claimants, failed debits are retried, and every day's
statement is reconciled. Cases staged in the last weeks leave a claim in every state, and the demo
accounts (a member, a reviewer, an operator, an auditor) have something to look at.

Plans: Meituan's (no per-member caps: the members carry the cost, as the model intends), Xiang
Hu Bao's (its 0.1-yuan per-case promise binds at this size, so the operator's backstop pays most)
and its senior cancer plan, whose first month the operator paid as a promotion; and
Qingsong's prepaid plan (simulation.prepaid): deposits and top-ups through the gateway, charges
taken from balances, members reminded, suspended and restored, and the demo member's family
sharing one balance. A member who reaches Xiang Hu Bao's exit age is offered the senior plan
(`demo-senior`). Money always moves through the built-in sandbox gateway, whatever
$HUZHU_GATEWAY says: a demo never debits a real account. The clock is simulated; everything else
is the real service layer and the real database, so the books pass `huzhu audit` and `huzhu
verify`.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Engine

from huzhu.domain.claims import ClaimState
from huzhu.domain.ledger import AccountKind, account_code
from huzhu.domain.plan_fields import local_date
from huzhu.gateways.sandbox import SandboxGateway
from huzhu.services.plans import promotions
from huzhu.simulation import casework, enrolment, money, prepaid, staging
from huzhu.simulation.accounts import (
    DemoAccount,
    create_member,
    create_senior,
    create_staff,
    join_family,
)
from huzhu.simulation.schedule import Schedule
from huzhu.simulation.world import World, beijing

MAIN = "meituan-huzhu"  # the plan whose members carry its cost
OTHER = "xiang-hu-bao"
MIX = {MAIN: 0.55, OTHER: 0.35, "xiang-hu-bao-senior": 0.10}  # shares of the population
PREPAID = prepaid.PLAN  # joins besides MIX: members of its own (simulation.prepaid)
PROMOTION_DAYS = 30  # Xiang Hu Bao's first month free for its early members
MIN_MONTHS = 4  # waiting periods are 90 days: a shorter demo could pay no illness


@dataclass(frozen=True)
class DemoConfig:
    members: int
    months: int
    seed: int
    now: datetime


@dataclass(frozen=True)
class PlanSummary:
    plan_id: str
    members: int
    rounds: int
    cases: int
    payouts: int
    fee: int
    charged: int  # charged to members by the rounds
    backstop: int  # paid by the operator: caps, waived and written-off charges
    cash: int  # in the custodial account


@dataclass
class DemoResult:
    start: date
    today: date
    accounts: list[DemoAccount]
    plans: list[PlanSummary] = field(default_factory=list)
    claims: dict[str, int] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)


def first_day(today: date, months: int) -> date:
    return today - timedelta(days=round(months * 30.44))


def run_demo(
    engine: Engine, cfg: DemoConfig, progress: Callable[[date, int], object]
) -> DemoResult:
    """Simulate up to `cfg.now`; `progress(day, days)` after each simulated day."""
    today = local_date(cfg.now)
    start = first_day(today, cfg.months)
    w = World(
        engine, SandboxGateway, Schedule(cfg.now), random.Random(cfg.seed), start, today, cfg.seed
    )
    w.drill_from = start + timedelta(days=staging.WAITING)
    with w.uow() as uow:
        plans = {plan_id: uow.plans.get(plan_id, start) for plan_id in [*MIX, PREPAID]}
    staff = create_staff(w, beijing(start, 8))
    _promotion(w, start, beijing(start, 8, 10))
    member = create_member(w, [plans[MAIN], plans[OTHER]], beijing(start, 8, 30))
    senior = create_senior(w, plans[OTHER], beijing(start, 8, 40))
    for salt, (plan_id, share) in enumerate(MIX.items()):
        enrolment.schedule_joins(w, plans[plan_id], max(1, round(cfg.members * share)), salt)
        casework.schedule_months(w, plans[plan_id])
    # The prepaid pool is small: only the staged case is paid there (see simulation.prepaid).
    count = prepaid.members(cfg.members)
    at = beijing(start, 8, 50)
    join_family(w, member, plans[PREPAID], 2 * prepaid.unit(plans[PREPAID], count), at)
    prepaid.settle(w, at)
    prepaid.schedule(w, plans[PREPAID], count - 2, len(MIX))
    staging.stage(w, plans, member, MAIN, OTHER)
    collects: dict[str, dict[date, list[date]]] = {plan_id: {} for plan_id in plans}
    days = (today - start).days + 1
    for n in range(days):
        day = start + timedelta(days=n)
        for plan_id, plan in plans.items():
            money.plan_day(w, plan, day, collects[plan_id])
        prepaid.plan_day(w, plans[PREPAID], day, collects[PREPAID], member.family)
        money.evening(w, day)
        w.schedule.run_until(beijing(day + timedelta(days=1), 0) - timedelta(microseconds=1))
        progress(day, days)
    money.catch_up(w, list(plans))
    return _summary(w, [member.account, senior, *staff], list(plans))


def _promotion(w: World, start: date, at: datetime) -> None:
    """The operator pays Xiang Hu Bao's rounds of the first month for its early members."""
    with w.uow() as uow:
        note = "首月免费 the first month is free for early members"
        promotions.mark_operator_paid(
            uow, OTHER, start, start + timedelta(days=PROMOTION_DAYS), at, note=note
        )
        uow.commit()


def _summary(w: World, accounts: list[DemoAccount], plan_ids: list[str]) -> DemoResult:
    result = DemoResult(w.start, w.today, accounts, counts=w.counts)
    with w.uow() as uow:
        for plan_id in plan_ids:
            rounds = uow.rounds.recent(plan_id, limit=10_000)
            books = {b.code: b.balance for b in uow.ledger.balances(plan_id)}
            result.plans.append(
                PlanSummary(
                    plan_id,
                    uow.memberships.count_live(plan_id),
                    len(rounds),
                    sum(r.figures.cases for r in rounds),
                    sum(r.figures.payouts for r in rounds),
                    sum(r.figures.fee for r in rounds),
                    sum(r.figures.collected for r in rounds),
                    books.get(account_code(plan_id, AccountKind.BACKSTOP), 0),
                    books.get(account_code(plan_id, AccountKind.CASH), 0),
                )
            )
        for state in ClaimState:
            found = len(uow.claims.list(state=state, limit=1_000_000))
            if found:
                result.claims[state.value] = found
        result.counts["reconciliation issues"] = len(uow.payments.issues())
    return result
