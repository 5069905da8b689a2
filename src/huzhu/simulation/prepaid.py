"""The demo's prepaid plan (Qingsong): deposits, top-ups, balances that run low, and families.

People join through the ordinary join service with the plan's deposit asked of the sandbox
gateway (cover starts when it arrives) and most top up at once. Each round takes its charges from
the balances when it runs; on the collection date the operator's balance check reminds those below
the plan's reminder level and suspends those below its minimum, and the claimants are paid. Most
of the low members top up within a few days, which gives their cover back; the rest stay
suspended. The demo member is the payer of a family: their own membership and their child's share
one balance, and they top up whenever reminded.

The pool is small, so one case costs each member a lot: a member's top-up is a multiple of what one
case costs each member (`unit`), drawn so that some balances run low after a case and most do not.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial

from huzhu.domain.errors import HuzhuError
from huzhu.domain.money import Fen
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plans import Plan
from huzhu.services.members import prepaid
from huzhu.services.members.service import JoinRequest, join
from huzhu.simulation import enrolment, money
from huzhu.simulation.world import World, beijing

PLAN = "qingsong-huzhu"
SHARE = 0.015  # of the demo's population, joining the prepaid plan besides the post-paid ones
MIN_MEMBERS = 40
TOP_UP_MULTIPLES = (0, 0, 1, 2, 2, 3, 3, 4, 5, 6)  # cases a joining member tops up for
TOPS_UP_WHEN_LOW = 0.7  # of reminded members, who top up within days (the rest stay low)
YUAN_10 = 1_000


def members(population: int) -> int:
    return max(MIN_MEMBERS, round(population * SHARE))


def unit(plan: Plan, count: int) -> Fen:
    """What one case costs each of `count` members (payout plus fee), up to whole 10 yuan."""
    cost = plan.payout.maximum * (10_000 + plan.management_fee_bp) // 10_000
    return -(-cost // max(1, count) // YUAN_10) * YUAN_10


def schedule(w: World, plan: Plan, count: int, salt: int) -> None:
    """The first cohort on the first day, the rest weekly, as in the post-paid plans."""
    per_case = unit(plan, count)
    first = max(1, round(count * enrolment.FIRST_COHORT))
    w.schedule.at(
        beijing(w.start, 9, 30), partial(join_cohort, w, plan, first, w.seed + salt, per_case)
    )
    weeks = max(1, (w.today - w.start).days // 7)
    rest = count - first
    for week in range(1, weeks + 1):
        n = rest // weeks + (1 if week <= rest % weeks else 0)
        day = w.start + timedelta(days=7 * week)
        if n and day < w.today:
            seed = w.seed + salt + week * 7919
            w.schedule.at(beijing(day, 12, 30), partial(join_cohort, w, plan, n, seed, per_case))


def join_cohort(w: World, plan: Plan, n: int, seed: int, per_case: Fen, at: datetime) -> None:
    """Each joins with the deposit through the gateway, and most top up a few cases' worth."""
    joined = 0
    with w.uow() as uow:
        gateway = w.gateway_for(uow.conn)
        for c in enrolment.candidates(plan, n, seed, local_date(at)):
            request = JoinRequest(plan.id, c.person, c.health_answers,
                                  deposit_key=f"demo-{c.person.id_number}")  # fmt: skip
            try:
                with uow.conn.begin_nested():  # a refused join leaves nothing behind
                    result = join(uow, request, at, gateway=gateway)
            except HuzhuError:
                continue
            joined += 1
            multiple = w.rng.choice(TOP_UP_MULTIPLES)
            if multiple:
                key = f"demo-join-{result.membership_id}"
                prepaid.request_top_up(uow, gateway, result.membership_id, multiple * per_case,
                                       key, at)  # fmt: skip
                w.counts["top-ups"] += 1
        uow.commit()
    w.counts["members joined"] += joined
    w.counts["deposits"] += joined
    settle(w, at)


def top_up(w: World, amounts: list[tuple[int, Fen]], at: datetime) -> None:
    """The day's top-ups (membership, amount), asked of the gateway together in the evening."""
    with w.uow() as uow:
        gateway = w.gateway_for(uow.conn)
        for membership_id, amount in amounts:
            key = f"demo-{membership_id}-{at:%Y%m%d}"
            try:
                with uow.conn.begin_nested():
                    prepaid.request_top_up(uow, gateway, membership_id, amount, key, at)
            except HuzhuError:  # e.g. the member has left meanwhile
                continue
            w.counts["top-ups"] += 1
        uow.commit()
    settle(w, at)


def settle(w: World, at: datetime) -> None:
    """The gateway's answers arrive; the day's statement is reconciled in the evening."""
    w.gateway_days.add(at.date())
    money.pump(w, at + timedelta(minutes=5))


def plan_day(
    w: World, plan: Plan, day: date, collects: dict[date, list[date]], family: list[int]
) -> None:
    """On a collection date: the balance check of each round collected, then the payouts.
    `family` is the demo member's account (payer first): the payer tops up whenever reminded."""
    if day >= w.today:
        return
    for announced in collects.pop(day, []):
        w.schedule.at(beijing(day, 9), partial(balances, w, plan, announced, family))
        w.schedule.at(beijing(day, 9, 10), partial(money.pay, w, plan.id, announced))


def balances(w: World, plan: Plan, announced: date, family: list[int], at: datetime) -> None:
    rules = plan.collection
    below = rules.reminder_balance or rules.minimum_balance or 0
    with w.uow() as uow:
        per_case = unit(plan, uow.memberships.count_live(plan.id))
        check = prepaid.after_round(uow, plan.id, announced, at)
        low = uow.payments.low_members(check.round_id, below) if check.reminded else []
        uow.commit()
    w.counts["members reminded"] += check.reminded
    w.counts["members suspended"] += check.suspended
    by_day: dict[int, list[tuple[int, Fen]]] = {}
    for membership_id in low:
        if membership_id in family[1:]:
            continue  # the family's payer tops up for the account
        if membership_id != family[0] and w.rng.random() >= TOPS_UP_WHEN_LOW:
            continue
        amount = w.rng.randint(1, 3) * per_case
        by_day.setdefault(w.rng.randint(1, 4), []).append((membership_id, amount))
    for days, amounts in by_day.items():
        w.schedule.at(beijing(at.date() + timedelta(days=days), 19), partial(top_up, w, amounts))
