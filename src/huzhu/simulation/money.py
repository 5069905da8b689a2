"""The demo's money, on each plan's calendar, through the same services an operator runs.

- At the lock of each announcement date the round runs and its Merkle root is published.
- On the collection date (post-paid plans) the round is debited in batches through the sandbox
  gateway, whose callbacks arrive a minute later; then the round's claimants are paid, and those
  answers arrive in turn.
- A prepaid plan's rounds take each charge from the balances (simulation.prepaid does the rest).
- Every morning failed debits are retried (and written off once the plan's retry days are over).
- Every evening the gateway's statement of the day is reconciled with the books, which settles
  what matches to the custodial cash account.
- Once, on the first day claimants are paid from `World.drill_from` (when the staged illness
  claims are paid), the statement is read before the payouts' callbacks have come in: that leaves
  a reconciliation issue for an operator to look at (settled at the evening's run, so the books
  still close).

Nothing touches the gateway on the demo's last day: what falls due today is the operator's.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial

from huzhu.domain.errors import RuleViolation
from huzhu.domain.plan_schedule import CollectionMode
from huzhu.domain.plans import Plan
from huzhu.services.money import callbacks, collection, payouts, reconcile
from huzhu.services.record import merkle_proofs
from huzhu.services.rounds.service import RoundOutcome, due_dates, run_round
from huzhu.simulation.world import World, beijing

PUMP_LIMIT = 1000  # callbacks the sandbox delivers per pump


def plan_day(w: World, plan: Plan, day: date, collects: dict[date, list[date]]) -> None:
    """Schedule one plan's money events of `day`. `collects` maps a collection date to the
    announcement dates collected on it (filled as rounds run)."""
    cal = plan.calendar
    if cal.announce_dates(day, day):
        w.schedule.at(
            cal.lock_moment(day) + timedelta(minutes=5),
            lambda at: _round(w, plan, day, at, collects),
        )
    if plan.collection.mode is not CollectionMode.POSTPAID or day >= w.today:
        return
    w.schedule.at(beijing(day, 8, 30), lambda at: _retry(w, plan.id, at))
    for announced in collects.pop(day, []):
        w.schedule.at(beijing(day, 9), partial(_collect, w, plan.id, announced))
        w.schedule.at(beijing(day, 9, 10), partial(pay, w, plan.id, announced))


def evening(w: World, day: date) -> None:
    """Reconcile the day's statement, once the day's callbacks are in."""
    if day < w.today:
        w.schedule.at(beijing(day, 23, 30), lambda at: _reconcile(w, day, at))


def _round(
    w: World, plan: Plan, day: date, at: datetime, collects: dict[date, list[date]]
) -> RoundOutcome:
    with w.uow() as uow:
        outcome = run_round(uow, plan.id, day, at)
        uow.commit()
    with w.uow() as uow:
        merkle_proofs.publish_round_proofs(uow, outcome.round.id, at)
        uow.commit()
    w.counts["rounds"] += 1
    collects.setdefault(outcome.round.collect_date, []).append(day)  # prepaid: see sim prepaid
    return outcome


def catch_up(w: World, plan_ids: list[str]) -> int:
    """Run any round already due at `now` (the lock may fall in the demo's last minutes)."""
    ran = 0
    for plan_id in plan_ids:
        with w.uow() as uow:
            days = due_dates(uow, plan_id, w.today - timedelta(days=1), w.now)
            plan = uow.plans.get(plan_id, w.today)
            days = [d for d in days if uow.rounds.for_period(plan_id, d) is None]
        for day in days:
            _round(w, plan, day, w.now, {})
            ran += 1
    return ran


def pump(w: World, at: datetime) -> None:
    while callbacks.pump_sandbox(w.engine, at) >= PUMP_LIMIT:
        pass


def _retry(w: World, plan_id: str, at: datetime) -> None:
    run = collection.retry(w.engine, w.gateway_for, plan_id, at)
    w.counts["debits retried"] += run.retried_members
    w.counts["members written off"] += run.written_off_members
    if run.batches:
        w.gateway_days.add(at.date())
        pump(w, at + timedelta(minutes=5))


def _collect(w: World, plan_id: str, announced: date, at: datetime) -> None:
    run = collection.collect(w.engine, w.gateway_for, plan_id, announced, at)
    w.counts["debit batches"] += run.batches
    if run.batches:
        w.gateway_days.add(at.date())
    pump(w, at + timedelta(minutes=5))
    with w.uow() as uow:
        failed = sum(f.status != "waived" for f in uow.collection_exceptions.failures(run.round_id))
    w.counts["failed debits"] += failed


def pay(w: World, plan_id: str, announced: date, at: datetime) -> None:
    try:
        with w.uow() as uow:
            run = payouts.run_payouts(uow, w.gateway_for(uow.conn), plan_id, announced, at)
            uow.commit()
    except RuleViolation:  # not settled yet: the operator tries again tomorrow
        w.schedule.at(at + timedelta(days=1), lambda then: pay(w, plan_id, announced, then))
        return
    sent = run.submitted + run.retried
    w.counts["payouts sent"] += sent
    if not sent:
        return
    w.gateway_days.add(at.date())
    day = at.date()
    if not w.counts["reconciliation issues"] and day >= w.drill_from:
        # The statement is read before the payouts' callbacks arrive: an issue to look at.
        _reconcile(w, day, at + timedelta(minutes=1))
    pump(w, at + timedelta(minutes=5))


def _reconcile(w: World, day: date, at: datetime) -> None:
    if day not in w.gateway_days:
        return
    with w.uow() as uow:
        report = reconcile.reconcile(uow, w.gateway_for(uow.conn), day, at)
        uow.commit()
    w.counts["reconciliation issues"] += len(report.issues)
