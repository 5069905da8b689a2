"""People joining and leaving over the demo's months.

A synthetic population with realistic ages and provinces joins through the bulk enrolment service
(the same checks as a single join): a first cohort on the first day, then a cohort each week, so
that the newest members are still in their waiting period when the demo ends. A share leaves each
month of its own accord.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import partial

from huzhu.domain.members import LeaveReason
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plans import Plan
from huzhu.services.members.enrol import Candidate, enrol_batch
from huzhu.services.members.service import PersonDetails, leave
from huzhu.simulation.population import generate_people
from huzhu.simulation.world import World, beijing

BATCH = 5_000
FIRST_COHORT = 0.45  # share of a plan's members who join on the first day; the rest join weekly
MONTH_CHURN = 0.01  # members leaving of their own accord each month


def min_age_days(plan: Plan) -> int:
    age = plan.eligibility.min_age
    return max(age.days or (age.years or 0) * 366, 18 * 366)


def candidates(plan: Plan, n: int, seed: int, day: date) -> Iterator[Candidate]:
    answers = {q.id: q.required_answer for q in plan.eligibility.health_declaration}
    people = generate_people(n, seed=seed, today=day, min_age_days=min_age_days(plan),
                             max_age_years=plan.eligibility.max_age.years or 0)  # fmt: skip
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


def enrol(w: World, plan: Plan, n: int, seed: int, at: datetime) -> int:
    joined = 0
    batch: list[Candidate] = []

    def flush() -> None:
        nonlocal joined
        with w.uow() as uow:
            joined += sum(r.ok for r in enrol_batch(uow, plan.id, batch, at))
            uow.commit()
        batch.clear()

    for c in candidates(plan, n, seed, local_date(at)):
        batch.append(c)
        if len(batch) == BATCH:
            flush()
    if batch:
        flush()
    w.counts["members joined"] += joined
    return joined


def schedule_joins(w: World, plan: Plan, members: int, salt: int) -> None:
    """The first cohort on the first day, the rest in weekly cohorts up to yesterday."""
    first = max(1, round(members * FIRST_COHORT))
    w.schedule.at(beijing(w.start, 9), lambda at: enrol(w, plan, first, w.seed + salt, at))
    weeks = max(1, (w.today - w.start).days // 7)
    rest = members - first
    for week in range(1, weeks + 1):
        n = rest // weeks + (1 if week <= rest % weeks else 0)
        day = w.start + timedelta(days=7 * week)
        if n and day < w.today:
            seed = w.seed + salt + week * 7919
            w.schedule.at(beijing(day, 12), partial(enrol, w, plan, n, seed))
    for month in range(1, (w.today - w.start).days // 30 + 1):
        day = w.start + timedelta(days=30 * month)
        w.schedule.at(beijing(day, 20), lambda at: churn(w, plan.id, at))


def churn(w: World, plan_id: str, at: datetime) -> None:
    with w.uow() as uow:
        # The demo accounts' memberships and the staged cases' stay (their pages rely on them).
        roster = [r for r in uow.memberships.roster(plan_id) if r[0] not in w.protected]
        for membership_id, _ in w.rng.sample(roster, int(len(roster) * MONTH_CHURN)):
            leave(uow, membership_id, at, LeaveReason.VOLUNTARY)
            w.counts["members left"] += 1
        uow.commit()
