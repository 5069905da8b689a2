"""`huzhu demo`: a synthetic plan run over simulated months.

A population with realistic ages and provinces joins, illnesses and accidents arrive at age-based
incidence, claims are submitted and decided by the plan's rules, and every round is run as an
operator would run it. The clock is simulated; everything else is the real service layer and the
real database, so the demo's books pass `huzhu audit`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine

from huzhu.domain.claims import ClaimState
from huzhu.domain.identity import age_on
from huzhu.domain.members import LeaveReason
from huzhu.domain.plans import CHINA_TZ, Plan, local_date
from huzhu.plans.loader import load_catalogue
from huzhu.services import claims as claim_svc
from huzhu.services import public_record
from huzhu.services.enrol import Candidate, enrol_batch
from huzhu.services.members import PersonDetails, leave
from huzhu.services.rounds import RoundOutcome, run_round
from huzhu.simulation.population import annual_incidence_per_million, generate_people
from huzhu.storage.uow import UnitOfWork

BATCH = 5_000
MONTH_GROWTH = 0.03  # new members per month, as a share of the starting population
MONTH_CHURN = 0.01  # members leaving voluntarily per month


@dataclass(frozen=True)
class DemoConfig:
    plan_id: str
    members: int
    months: int
    seed: int
    start: date


def _candidates(plan: Plan, cfg: DemoConfig, n: int, seed: int, day: date) -> Iterator[Candidate]:
    answers = {q.id: q.required_answer for q in plan.eligibility.health_declaration}
    min_days = plan.eligibility.min_age.days or (plan.eligibility.min_age.years or 0) * 366
    max_years = plan.eligibility.max_age.years or 0
    people = generate_people(n, seed=seed, today=day, min_age_days=max(min_days, 18 * 366),
                             max_age_years=max_years)  # fmt: skip
    for i, p in enumerate(people):
        yield Candidate(
            line=i,
            person=PersonDetails(
                id_number=p.id_number,
                name=p.name,
                province_code=p.province_code,
                city_tier=p.city_tier,
                rural=p.rural,
                phone=p.phone,
                credit_score=p.credit_score,
                labels=p.labels,
            ),
            health_answers=answers,
        )


def enrol(engine: Engine, plan: Plan, cfg: DemoConfig, n: int, seed: int, at: datetime,
          progress: Callable[[int], object]) -> int:  # fmt: skip
    joined = 0
    batch: list[Candidate] = []

    def flush() -> None:
        nonlocal joined
        with UnitOfWork(engine) as uow:
            joined += sum(r.ok for r in enrol_batch(uow, plan.id, batch, at))
            uow.commit()
        progress(len(batch))
        batch.clear()

    for c in _candidates(plan, cfg, n, seed, local_date(at)):
        batch.append(c)
        if len(batch) == BATCH:
            flush()
    if batch:
        flush()
    return joined


def _claims_for_month(engine: Engine, plan: Plan, rng: random.Random, month_start: date) -> int:
    """Draw this month's diagnoses from age-based incidence and submit them as claims."""
    catalogue = load_catalogue()
    by_category: dict[str, list[str]] = {}
    for c in catalogue.conditions.values():
        if plan.cover.covers(c):
            by_category.setdefault(c.category.value, []).append(c.code)
    with UnitOfWork(engine) as uow:
        roster = uow.memberships.roster(plan.id)
    submitted = 0
    month_end = (month_start + timedelta(days=32)).replace(day=1)
    for membership_id, birth in roster:
        age = age_on(birth, month_start)
        for category, codes in by_category.items():
            rate = annual_incidence_per_million(age, category) / 1_000_000 / 12
            if rng.random() >= rate:
                continue
            day = month_start + timedelta(days=rng.randrange((month_end - month_start).days))
            at = datetime.combine(day, time(10), CHINA_TZ)
            with UnitOfWork(engine) as uow:
                claim = claim_svc.submit(
                    uow,
                    claim_svc.ClaimRequest(
                        membership_id=membership_id,
                        condition_code=rng.choice(codes),
                        diagnosis_date=day,
                        hospital="示范医院 Demo Hospital",
                        evidence=(f"demo-evidence-{membership_id}-{day.isoformat()}",),
                        disability_grade=rng.randint(1, 10) if "AC-02" in codes else None,
                    ),
                    at,
                )
                if claim.state is ClaimState.SUBMITTED:
                    # As the real plans did: announced for objections, final when the window closes.
                    claim_svc.approve(
                        uow, claim.id or 0, "demo-reviewer", at + timedelta(days=3), announce=True
                    )
                uow.commit()
            submitted += 1
            break
    return submitted


def _churn(engine: Engine, plan_id: str, rng: random.Random, share: float, at: datetime) -> None:
    with UnitOfWork(engine) as uow:
        roster = uow.memberships.roster(plan_id)
        for membership_id, _ in rng.sample(roster, int(len(roster) * share)):
            leave(uow, membership_id, at, LeaveReason.VOLUNTARY)
        uow.commit()


def run_demo(
    engine: Engine,
    cfg: DemoConfig,
    progress: Callable[[int], object],
    on_round: Callable[[RoundOutcome], object],
) -> list[RoundOutcome]:
    rng = random.Random(cfg.seed)
    with UnitOfWork(engine) as uow:
        plan = uow.plans.get(cfg.plan_id, cfg.start)
    start_at = datetime.combine(cfg.start, time(9), CHINA_TZ)
    enrol(engine, plan, cfg, cfg.members, cfg.seed, start_at, progress)
    outcomes: list[RoundOutcome] = []
    month = cfg.start.replace(day=1)
    for m in range(cfg.months):
        month_end = (month + timedelta(days=32)).replace(day=1)
        if m:
            join_at = datetime.combine(month, time(9), CHINA_TZ)
            grow = int(cfg.members * MONTH_GROWTH)
            enrol(engine, plan, cfg, grow, cfg.seed + m, join_at, progress)
            _churn(engine, plan.id, rng, MONTH_CHURN, join_at + timedelta(hours=1))
        _claims_for_month(engine, plan, rng, month)
        for day in plan.calendar.announce_dates(month, month_end - timedelta(days=1)):
            if day < cfg.start:
                continue
            now = plan.calendar.lock_moment(day) + timedelta(hours=1)
            with UnitOfWork(engine) as uow:
                outcome = run_round(uow, plan.id, day, now.astimezone(UTC))
                uow.commit()
            with UnitOfWork(engine) as uow:
                public_record.publish_round_proofs(uow, outcome.round.id, now.astimezone(UTC))
                uow.commit()
            outcomes.append(outcome)
            on_round(outcome)
        month = month_end
    return outcomes
