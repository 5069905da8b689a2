"""Running an apportionment round: lock, share, charge every member, post one transaction.

All per-member work is set-based SQL in the repository; Python touches only the totals. The whole
round is one database transaction, so a crash leaves it either not started or complete.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date, datetime

from huzhu import metrics
from huzhu.domain import apportionment
from huzhu.domain.errors import InvalidInput, RuleViolation, Violation
from huzhu.domain.ledger import round_transaction
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plan_schedule import CollectionMode
from huzhu.domain.plans import Plan
from huzhu.services.claims.decisions import finalize_announced
from huzhu.services.members import successor
from huzhu.services.plans import activation, promotions
from huzhu.services.progress import Progress, silent
from huzhu.services.record import public_record
from huzhu.storage.repositories.money.charges import ChargeOrder
from huzhu.storage.repositories.rounds.repository import RoundRecord
from huzhu.storage.uow import UnitOfWork


@dataclass(frozen=True)
class RoundOutcome:
    round: RoundRecord
    created: bool  # False when the period had already run: nothing changed
    aged_out: int
    charges_written_by: str = ""  # how the charges went in: "copy" or "insert" (benchmarks)


def first_round_day(uow: UnitOfWork, plan_id: str) -> date:
    """Where `huzhu rounds run` without a date starts: the plan's effective date here, the later
    of its first version's `effective_from` and the day that version was installed or published.
    A template effective since 2018 and installed today has no rounds due before today. (A round
    asked for by date, as simulations of past months do, is not held to the install day.)"""
    first = uow.plans.history(plan_id)[0]
    return max(first.effective_from, local_date(first.created_at))


def in_preparation(uow: UnitOfWork, plan: Plan, at: datetime | None = None) -> int | None:
    """The headcount of a plan still short of its activation threshold (None once in force).
    A plan in preparation takes no claims and runs no rounds. With `at`, the headcount locked
    then; without, the live one."""
    if not plan.activation_threshold:
        return None
    activated = activation.activated_at(uow, plan)
    if activated is not None and (at is None or activated <= at):
        return None  # activation latches: members leaving later never put it back (issue 9)
    members = (
        uow.memberships.count_live(plan.id)
        if at is None
        else uow.memberships.count_locked(plan.id, at)
    )
    return members if members < plan.activation_threshold else None


def due_dates(uow: UnitOfWork, plan_id: str, start: date, now: datetime) -> list[date]:
    """Announcement dates from `start` (never before the plan's first round day) whose lock time
    has passed; none while the plan is in preparation."""
    plan = uow.plans.get(plan_id, local_date(now))
    if in_preparation(uow, plan) is not None:
        return []
    start = max(start, first_round_day(uow, plan_id))
    return [
        d
        for d in plan.calendar.announce_dates(start, local_date(now))
        if plan.calendar.lock_moment(d) <= now
    ]


def _year_max_before(uow: UnitOfWork, plan_id: str, announce_date: date) -> int:
    reference = uow.rounds.reference_for_year(plan_id, announce_date)
    return reference.year_max or 0 if reference else 0


def _charge_order(
    uow: UnitOfWork,
    plan: Plan,
    round_id: int,
    announce_date: date,
    lock_at: datetime,
    charge: int,
    members: int,
) -> ChargeOrder:
    """Decide whether the annual cap can bind this round.

    Nobody can have been charged more this year than the sum of the year's uniform charges, so
    while that bound plus this round's charge stays within the cap, everyone owes the same and the
    round is one plain insert. Only when the cap can bind are running totals read and written.
    """
    cap = plan.caps.per_year_per_member
    base = ChargeOrder(
        round_id, plan.id, lock_at, charge, cap, announce_date.year, headcount=members
    )
    if cap is None:
        return base
    reference = uow.rounds.reference_for_year(plan.id, announce_date)
    bound = (reference.year_max if reference else 0) or 0
    if reference is not None and reference.year_max is None:
        bound = cap  # unknown history (rounds from before year_max was kept): be careful
    if bound + charge <= cap:
        return base
    return replace(
        base,
        capped=True,
        reference_round=reference.id if reference else None,
        reference_lock=reference.lock_at if reference else None,
        reference_has_totals=reference.year_totals if reference else False,
    )


def run_round(
    uow: UnitOfWork,
    plan_id: str,
    announce_date: date,
    now: datetime,
    progress: Progress = silent,
) -> RoundOutcome:
    """Run the plan's round of `announce_date` (or find it run). The stages `progress` hears are
    those a console shows while it runs: the plan held, claims taken, charges written (of the
    locked members), the transaction posted, the public record written."""
    started = time.perf_counter()
    plan = uow.plans.get(plan_id, announce_date)
    cal = plan.calendar
    if announce_date not in cal.announce_dates(announce_date, announce_date):
        days = ", ".join(str(r.announce_day) for r in cal.rounds)
        raise InvalidInput(
            f"{announce_date} is not an announcement date of {plan_id} (days {days})",
            code="not-a-round-date",
            field="date",
        )
    progress("plan held", 0, 1)
    uow.rounds.hold_plan(plan_id)  # a round started twice at once runs once; the other sees it
    progress("plan held", 1, 1)
    existing = uow.rounds.for_period(plan_id, announce_date)
    if existing is not None:
        return RoundOutcome(existing, created=False, aged_out=0)
    lock_at = cal.lock_moment(announce_date)
    if lock_at > now:
        raise RuleViolation(
            [Violation("round-not-due", f"the headcount locks at {lock_at.isoformat()}", "date")]
        )
    short = in_preparation(uow, plan, lock_at)
    if short is not None:
        raise RuleViolation(
            [
                Violation(
                    "plan-in-preparation",
                    f"{plan_id} runs rounds once {plan.activation_threshold:,} members have "
                    f"joined; {short:,} had at the lock",
                    "plan",
                )
            ]
        )
    uow.charges.settle_in_for_bulk()
    aged_out = successor.age_out(uow, plan_id, announce_date, lock_at)
    previous = uow.rounds.previous(plan_id, announce_date)
    carry_in = previous.figures.surplus if previous else 0
    round_id = uow.rounds.open(
        plan_id, announce_date, lock_at, cal.collect_date(announce_date), plan.version, now
    )
    finalize_announced(uow, plan_id, lock_at)
    cases, payouts = uow.claims.take_into_round(plan_id, lock_at, round_id)
    progress("claims taken", cases, cases)
    members = uow.memberships.count_locked(plan_id, lock_at)
    progress("charges written", 0, members)
    fee = apportionment.management_fee(payouts, plan.management_fee_bp)
    share = apportionment.per_head_share(payouts + fee - carry_in, members)
    cap = apportionment.round_cap(plan.caps.per_case_per_member, cases)
    charge = apportionment.member_charge(share, cap, None)
    operator_paid = promotions.paying(uow, plan_id, announce_date)
    if operator_paid is not None:
        charge = 0  # the operator pays this round: its whole need is backstop (README, Promotions)
    order = _charge_order(uow, plan, round_id, announce_date, lock_at, charge, members)
    if plan.collection.mode is CollectionMode.PREPAID:
        order = replace(order, prepaid=True)  # never below a balance: see README, prepaid
    charged = uow.charges.charge(order)  # one set-based statement: no counts from inside it
    progress("charges written", charged.rows, charged.rows)  # members owing nothing write none
    year_max = None
    if plan.caps.per_year_per_member is not None:
        year_max = (
            charged.year_max
            if order.capped
            else _year_max_before(uow, plan.id, announce_date) + charge
        )
    figures = apportionment.figures(
        members=members,
        cases=cases,
        payouts=payouts,
        fee_bp=plan.management_fee_bp,
        carry_in=carry_in,
        charged=charged.total,
        per_case_cap=plan.caps.per_case_per_member,
    )
    if not figures.balanced():  # pragma: no cover - the arithmetic guarantees it
        raise AssertionError(f"round {plan_id} {announce_date} does not balance: {figures}")
    txn = round_transaction(
        plan_id,
        announce_date.isoformat(),
        charged=figures.collected,
        backstop=figures.backstop,
        carry_in=figures.carry_in,
        payouts=figures.payouts,
        fee=figures.fee,
        surplus=figures.surplus,
    )
    txn_id = uow.ledger.post(txn, now) if txn else None
    progress("transaction posted", 1, 1)
    uow.rounds.finish(
        round_id,
        figures,
        txn_id,
        charged.rows,
        year_max=year_max if charged.rows else None,
        year_totals=order.capped,
    )
    record = uow.rounds.get(round_id)
    assert record is not None
    public_record.record_round(uow, record, now)
    progress("public record written", 1, 1)
    if operator_paid is not None:
        promotions.record_round(uow, record, operator_paid, now)
    if charged.rows and uow.webhooks.has_subscribers():
        # Host apps tell their users of the charge before it is collected. A prepaid balance is
        # debited at once, so there the charge is collected too.
        prepaid = plan.collection.mode is CollectionMode.PREPAID
        types = ("charge.due", "charge.collected") if prepaid else ("charge.due",)
        uow.webhooks.emit_round_charges(round_id, types, now)
    elapsed = time.perf_counter() - started
    metrics.ROUND_SECONDS.observe(elapsed)
    metrics.ROUND_MEMBERS_PER_SECOND.set(charged.rows / elapsed if elapsed > 0 else 0)
    return RoundOutcome(
        record, created=True, aged_out=aged_out, charges_written_by=charged.written_by
    )
