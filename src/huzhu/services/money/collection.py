"""Post-paid collection: debit each member's charge through the payment gateway, in batches.

The rules (published in the README):

- Members are told first. A round's charge is shown to each member as due on the round's
  collection date (derived from the charge row and the round, never an inbox row per member), and
  host apps receive a `charge.due` webhook when the round is published. Nothing is debited before
  the collection date.
- A member who leaves between the lock and the start of collection is not debited: the charge is
  waived and the operator's backstop pays it (reason left-before-collection).
- Everyone else is debited in batches of membership ids in order, each batch one database
  transaction and one gateway instruction with a deterministic ref, so a crashed run resumes at the
  next batch and a resubmitted batch is ignored by the gateway.
- A failed debit is retried once a day for the plan's `retry_days`, from 0:00 the next day. After
  that the member leaves with reason non-payment and the uncollected amount is written off to the
  operator's backstop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, Row

from huzhu.domain.errors import InvalidInput, NotFound, RuleViolation, Violation
from huzhu.domain.ledger import AccountKind, Posting, Transaction, account_code
from huzhu.domain.money import Fen
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plan_schedule import CollectionMode
from huzhu.domain.plans import Plan
from huzhu.gateways import GatewayFactory
from huzhu.gateways.base import DebitItem
from huzhu.services.messaging.notify import tell
from huzhu.services.progress import Progress, silent
from huzhu.storage.repositories.money.collection import NewBatch
from huzhu.storage.repositories.rounds.repository import RoundRecord
from huzhu.storage.uow import UnitOfWork

DEFAULT_BATCH = 10_000
MAX_BATCH = 100_000
SMALL_PLAN = 10_000  # up to this many members, each is also told by inbox, e-mail and SMS


@dataclass(frozen=True)
class CollectionRun:
    round_id: int
    batches: int  # sent by this run
    members: int
    amount: Fen
    waived: Fen  # waived by this run
    complete: bool  # every charge of the round is in a batch or waived


@dataclass(frozen=True)
class RetryRun:
    written_off_members: int
    written_off: Fen
    retried_members: int
    batches: int


def round_of(uow: UnitOfWork, plan_id: str, announce_date: date) -> tuple[Plan, RoundRecord]:
    plan = uow.plans.get(plan_id, announce_date)
    record = uow.rounds.for_period(plan_id, announce_date)
    if record is None:
        raise NotFound(
            f"no round of {plan_id} on {announce_date}", code="unknown-round", field="date"
        )
    return plan, record


def refuse(code: str, message: str, field: str | None = None) -> RuleViolation:
    return RuleViolation([Violation(code, message, field)])


def _postpaid(plan: Plan) -> None:
    if plan.collection.mode is not CollectionMode.POSTPAID:
        raise refuse(
            "not-post-paid",
            f"{plan.id} is prepaid: charges are taken from balances, nothing is debited",
            "plan",
        )


def write_off_transaction(plan_id: str, key: str, amount: Fen, memo: str) -> Transaction:
    """The operator's backstop pays what members will not: Dr backstop / Cr member-funds."""
    return Transaction(
        key=key,
        kind="write-off",
        plan_id=plan_id,
        postings=(
            Posting(account_code(plan_id, AccountKind.BACKSTOP), amount),
            Posting(account_code(plan_id, AccountKind.MEMBER_FUNDS), -amount),
        ),
        memo=memo,
    )


def _stamp(day: date) -> str:
    return day.strftime("%Y%m%d")


def _next_ref(prefix: str, last: Row[Any] | None) -> str:
    """The ref after the last batch's when that one has the same prefix, else the first."""
    if last is None or not last.gateway_ref.startswith(prefix):
        return f"{prefix}1"
    return f"{prefix}{int(last.gateway_ref[len(prefix) :]) + 1}"


def _waive(uow: UnitOfWork, plan_id: str, record: RoundRecord, now: datetime) -> Fen:
    """Once per round, before its first batch: waive the charges of members who have left."""
    marker = f"{plan_id}-{_stamp(record.announce_date)}-waive"
    if uow.collection.batch_by_ref(marker) is not None:
        return 0
    count, total = uow.collection_exceptions.waive_leavers(record.id, plan_id, record.lock_at, now)
    if total:
        memo = f"charges of round {record.announce_date} waived: left before collection"
        txn = write_off_transaction(plan_id, f"waive:{marker}", total, memo)
        uow.collection_exceptions.credit_waived(record.id, uow.ledger.post(txn, now), now)
    uow.collection.add_batch(
        NewBatch(record.id, plan_id, 0, "waiver", 0, 0, count, total, marker), now, status="settled"
    )
    return total


def is_complete(uow: UnitOfWork, record: RoundRecord) -> bool:
    sent, waived, _ = uow.collection.round_progress(record.id)
    return sent + waived == record.figures.collected


def collect(
    engine: Engine,
    gateway_for: GatewayFactory,
    plan_id: str,
    announce_date: date,
    now: datetime,
    *,
    batch_size: int = DEFAULT_BATCH,
    max_batches: int | None = None,
    progress: Progress = silent,
) -> CollectionRun:
    """Send the round's debit batches; safe to run again, it resumes where it stopped.

    Reports the members whose debits were sent by this run to `progress` ("members debited"; the
    total is the round's headcount, so a resumed run starts part way)."""
    if not 1 <= batch_size <= MAX_BATCH:
        raise InvalidInput(f"batch size must be 1 to {MAX_BATCH:,}", field="batch_size")
    with UnitOfWork(engine) as uow:
        plan, record = round_of(uow, plan_id, announce_date)
        _postpaid(plan)
        if local_date(now) < record.collect_date:
            raise refuse(
                "collection-not-due",
                f"members were told this round is collected on {record.collect_date}; not before",
                "date",
            )
        # Runs of one round take turns on its row: a second run waits, then finds the waiver
        # and the batches already sent, and carries on after them.
        uow.rounds.hold(record.id)
        waived = _waive(uow, plan_id, record, now)
        uow.commit()
    prefix = f"{plan_id}-{_stamp(announce_date)}-d"
    sent = members = amount = 0
    headcount = record.figures.members
    while max_batches is None or sent < max_batches:
        with UnitOfWork(engine) as uow:
            uow.rounds.hold(record.id)
            last = uow.collection.last_batch(record.id, "debit")
            items = uow.collection.next_debits(
                record.id, last.last_membership_id if last else 0, batch_size
            )
            if not items:
                break
            # The ref counts debit batches only, so it is the same whenever this batch is rebuilt.
            ref = _next_ref(prefix, last)
            newest = uow.collection.last_batch(record.id)
            total = sum(a for _, a in items)
            batch = NewBatch(
                record.id, plan_id, (newest.batch_no if newest else 0) + 1, "debit",
                items[0][0], items[-1][0], len(items), total, ref,
            )  # fmt: skip
            uow.collection.add_batch(batch, now)
            gateway_for(uow.conn).submit_debits(ref, [DebitItem(m, a) for m, a in items], now)
            uow.commit()
        sent, members, amount = sent + 1, members + len(items), amount + total
        progress("members debited", members, max(headcount, members))
    with UnitOfWork(engine) as uow:
        complete = is_complete(uow, record)
    return CollectionRun(record.id, sent, members, amount, waived, complete)


def retry(
    engine: Engine,
    gateway_for: GatewayFactory,
    plan_id: str,
    now: datetime,
    *,
    batch_size: int = DEFAULT_BATCH,
) -> RetryRun:
    """Today's pass over failed debits: write off those past the retry days, retry the others."""
    today = local_date(now)
    retries: dict[int, list[tuple[datetime, int]]] = {}
    written = written_members = 0
    with UnitOfWork(engine) as uow:
        plan = uow.plans.get(plan_id, today)
        _postpaid(plan)
        uow.rounds.hold_plan(plan_id)  # passes of one plan take turns (see collect)
        days = plan.collection.retry_days or 0
        due: dict[int, list[tuple[datetime, int]]] = {}
        for g in uow.collection_exceptions.outstanding_groups(plan_id):
            failed_on = local_date(g.first_failed_at)
            elapsed = (today - failed_on).days
            if today > plan.collection.retry_days_after(failed_on)[1]:
                due.setdefault(g.round_id, []).append((g.first_failed_at, g.attempts))
            elif g.attempts - 1 < elapsed:  # at most one retry per day since the failure
                retries.setdefault(g.round_id, []).append((g.first_failed_at, g.attempts))
        for round_id, groups in due.items():
            total = uow.collection_exceptions.start_write_off(round_id, groups)
            if total:
                key = f"write-off:{plan_id}:r{round_id}:{now.isoformat()}"
                memo = f"unpaid after {days} retry days: the member left for non-payment"
                txn_id = uow.ledger.post(write_off_transaction(plan_id, key, total, memo), now)
                written_members += uow.collection_exceptions.write_off(round_id, txn_id, now)
                written += total
        uow.commit()
    sent = retried = 0
    for round_id, groups in retries.items():
        while True:
            with UnitOfWork(engine) as uow:
                uow.rounds.hold(round_id)
                items = uow.collection_exceptions.retry_items(round_id, groups, batch_size)
                if not items:
                    break
                record = uow.rounds.get(round_id)
                assert record is not None
                prefix = f"{plan_id}-{_stamp(record.announce_date)}-r{_stamp(today)}-"
                ref = _next_ref(prefix, uow.collection.last_batch(round_id, "retry"))
                newest = uow.collection.last_batch(round_id)
                batch = NewBatch(
                    round_id, plan_id, (newest.batch_no if newest else 0) + 1, "retry",
                    items[0][0], items[-1][0], len(items), sum(a for _, a in items), ref,
                )  # fmt: skip
                batch_id = uow.collection.add_batch(batch, now)
                uow.collection_exceptions.mark_retrying(round_id, [m for m, _ in items], batch_id)
                gateway_for(uow.conn).submit_debits(ref, [DebitItem(m, a) for m, a in items], now)
                uow.commit()
            sent, retried = sent + 1, retried + len(items)
    return RetryRun(written_members, written, retried, sent)


def notify_due(uow: UnitOfWork, plan_id: str, announce_date: date, now: datetime) -> int | None:
    """Tell each charged member of a small plan, by inbox, e-mail and SMS, what is taken and when.

    Once per round. A plan of more than SMALL_PLAN members is told through its statement notice
    and host-app webhooks only (None): a message per member is not written for 100 million.
    """
    plan, record = round_of(uow, plan_id, announce_date)
    marker = f"{plan_id}-{_stamp(announce_date)}-notice"
    done = uow.collection.batch_by_ref(marker)
    if done is not None:
        return int(done.items)
    rows = uow.collection.charged_members(record.id, SMALL_PLAN + 1)
    if len(rows) > SMALL_PLAN:
        return None
    prepaid = plan.collection.mode is CollectionMode.PREPAID
    for r in rows:
        params = {"plan_id": plan_id, "amount_fen": int(r.amount),
                  "round_date": announce_date.isoformat()}  # fmt: skip
        if prepaid:
            tell(uow, r.person_id, "charge-taken", params, now)
        else:
            collect = {"collect_date": record.collect_date.isoformat()}
            tell(uow, r.person_id, "charge-due", params | collect, now)
    uow.collection.add_batch(
        NewBatch(record.id, plan_id, -1, "notice", 0, 0, len(rows), 0, marker),
        now,
        status="settled",
    )
    return len(rows)


def charge_status(uow: UnitOfWork, plan: Plan, record: RoundRecord, membership_id: int) -> str:
    """Where one member's charge of a round stands, in words a member reads."""
    if plan.collection.mode is CollectionMode.PREPAID:
        return "taken from your balance"
    exception = uow.collection_exceptions.exception_of(record.id, membership_id)
    if exception is not None:
        return {
            "waived": "waived: you left before the collection date",
            "outstanding": "debit failed: it will be retried",
            "retrying": "debit failed: being retried",
            "collected": "collected on a retry",
            "written-off": "not collected: written off, you left the plan for non-payment",
        }.get(exception, exception)
    batch = uow.collection.batch_covering(record.id, membership_id)
    if batch is None or batch.last_membership_id < membership_id:
        return f"due on {record.collect_date}"
    return "collected" if batch.status == "settled" else "debit sent"
