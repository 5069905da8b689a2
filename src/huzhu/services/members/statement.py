"""A member's statement: every charge, the total paid and how many people it helped.

It also tells the member what is coming before it happens: each charge not yet collected is shown
as due on its round's collection date, derived from the charge and the round (no notice rows are
written per member), and a prepaid member whose balance is low is asked to top up.

Charges of archived rounds are read from the archive (huzhu.services.record.archive), so the
statement is the same before and after a round is archived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from huzhu.domain.members import Membership, Status
from huzhu.domain.money import Fen, format_yuan
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plan_schedule import CollectionMode
from huzhu.domain.plans import Plan
from huzhu.services.members.balance_moves import PAGE, BalanceMove, balance_moves, next_before
from huzhu.services.money.collection import charge_status
from huzhu.services.plans.promotions import PaidRound, paid_rounds
from huzhu.services.plans.shutdown import closing_of
from huzhu.storage.repositories.members.family import FamilyRepository
from huzhu.storage.repositories.record.archive import ArchiveRepository
from huzhu.storage.repositories.rounds.repository import StatementLine
from huzhu.storage.uow import UnitOfWork

RECENT = 6  # rounds whose collection state a statement shows


@dataclass(frozen=True)
class Statement:
    membership: Membership
    status: Status
    plan_version: int
    balance: Fen
    lines: list[StatementLine]
    # Round id -> where that charge stands ("due on 2026-01-14", "collected", ...).
    collection: dict[int, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    # Rounds the operator paid for the member (a promotion, or after a plan's notice of closing).
    operator_paid: list[PaidRound] = field(default_factory=list)
    # Prepaid only (None post-paid): one page of the money into and out of the balance, newest
    # first, and the keyset of the next page (services.members.balance_moves).
    moves: list[BalanceMove] | None = None
    moves_next: int | None = None

    @property
    def total_paid(self) -> Fen:
        return sum(line.amount for line in self.lines)

    @property
    def people_helped(self) -> int:
        return sum(line.cases for line in self.lines)


def charge_lines(uow: UnitOfWork, membership_id: int) -> tuple[list[StatementLine], list[int]]:
    """A member's charges in round order, archived rounds included; and the ids of archived
    rounds whose charges the operator has taken offline (dumped and dropped)."""
    lines = uow.rounds.statement([membership_id])
    archived, offline = ArchiveRepository(uow.conn).statement_lines(membership_id)
    if archived:
        lines = sorted(lines + archived, key=lambda line: (line.announce_date, line.round_id))
    return lines, offline


def balance_of(
    uow: UnitOfWork, membership_id: int, lines: list[StatementLine] | None = None
) -> Fen:
    """What a member has in hand (prepaid) or still owes (negative), collections included.

    Computed from the member's charges (read once, through their rounds), their credits, and
    which of those charges a settled debit batch collected. A prepaid member has what their
    account holds: their payer's and the payer's dependants' memberships share it (README,
    "Family debit order").
    """
    membership = uow.memberships.get(membership_id)
    if uow.plans.get(membership.plan_id).collection.mode is CollectionMode.PREPAID:
        return FamilyRepository(uow.conn).place_and_balance(membership_id)[1]
    if lines is None:
        lines, _ = charge_lines(uow, membership_id)
    charges = [(line.round_id, line.amount) for line in lines]
    charged = sum(amount for _, amount in charges)
    collected = uow.collection.collected_of(membership_id, charges)
    return uow.ledger.member_credited(membership_id) - charged + collected


def _notices(
    uow: UnitOfWork, plan: Plan, membership: Membership, balance: Fen, lines: list[StatementLine]
) -> tuple[dict[int, str], list[str]]:
    collection: dict[int, str] = {}
    notices: list[str] = []
    rules = plan.collection
    # The latest rounds only: older charges have long been collected or closed, and a statement
    # must stay fast with years of history.
    for line in lines[-RECENT:]:
        record = uow.rounds.get(line.round_id)
        if record is None or line.amount == 0:
            continue
        state = charge_status(uow, plan, record, membership.id or 0)
        collection[line.round_id] = state
        if state.startswith("due on") and membership.left_at is None:
            notices.append(
                f"{format_yuan(line.amount)} yuan for the round announced {line.announce_date} "
                f"will be debited on {record.collect_date}. You may leave the plan before then "
                "and it will not be taken."
            )
    closing = closing_of(uow, plan.id)
    if closing is not None:
        # From the notice nobody is asked to top up: balances are refunded (README, Shutdown).
        notices.append(
            f"This plan is closing: members share nothing from {closing.notice_date}, cover ends "
            f"on {closing.end_date}, and an illness diagnosed before then may be claimed until "
            f"{closing.last_claim_day}. Prepaid balances are refunded by {closing.refund_due}."
        )
    elif rules.mode is CollectionMode.PREPAID and membership.left_at is None:
        floor = rules.reminder_balance or rules.minimum_balance
        if floor is not None and balance < floor:
            notices.append(
                f"Your balance is {format_yuan(balance)} yuan, below {format_yuan(floor)} yuan: "
                "please top up."
            )
        if rules.minimum_balance is not None and balance < rules.minimum_balance:
            notices.append(
                f"Cover needs a balance of at least {format_yuan(rules.minimum_balance)} yuan: "
                "below it, cover is suspended after the next round until you top up."
            )
    return collection, notices


def statement(
    uow: UnitOfWork,
    membership_id: int,
    now: datetime,
    moves_before: int = 0,
    moves_limit: int = PAGE,
) -> Statement:
    membership = uow.memberships.get(membership_id)
    plan = uow.plans.get(membership.plan_id, local_date(now))
    lines, offline = charge_lines(uow, membership_id)
    # Charges a debit batch collected have no credit row each: add what the gateway collected.
    balance = balance_of(uow, membership_id, lines)
    collection, notices = _notices(uow, plan, membership, balance, lines)
    if offline:
        notices.append(
            f"Your charges in {len(offline)} archived round(s) are kept offline by the operator "
            "and not listed here: ask the operator for them."
        )
    moves = None
    if plan.collection.mode is CollectionMode.PREPAID:
        moves = balance_moves(uow, membership_id, moves_before, moves_limit)
    return Statement(
        membership=membership,
        status=membership.status(plan, local_date(now)),
        plan_version=plan.version,
        balance=balance,
        lines=lines,
        collection=collection,
        notices=notices,
        operator_paid=paid_rounds(uow, membership),
        moves=moves,
        moves_next=None if moves is None else next_before(moves, moves_limit),
    )


@dataclass(frozen=True)
class NextCharge:
    """When a member will next be charged, and a guide to how much: the last round's share."""

    announce_date: date
    collect_date: date
    last_share: Fen | None


def next_charge(uow: UnitOfWork, plan: Plan, today: date) -> NextCharge | None:
    dates = plan.calendar.announce_dates(today, today + timedelta(days=62))
    if not dates:
        return None
    last = uow.rounds.recent(plan.id, limit=1)
    return NextCharge(
        dates[0], plan.calendar.collect_date(dates[0]), last[0].figures.share if last else None
    )
