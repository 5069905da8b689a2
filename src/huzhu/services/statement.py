"""A member's statement: every charge, the total paid and how many people it helped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from huzhu.domain.members import Membership, Status
from huzhu.domain.money import Fen
from huzhu.domain.plans import local_date
from huzhu.storage.repositories.rounds import StatementLine
from huzhu.storage.uow import UnitOfWork


@dataclass(frozen=True)
class Statement:
    membership: Membership
    status: Status
    plan_version: int
    balance: Fen
    lines: list[StatementLine]

    @property
    def total_paid(self) -> Fen:
        return sum(line.amount for line in self.lines)

    @property
    def people_helped(self) -> int:
        return sum(line.cases for line in self.lines)


def statement(uow: UnitOfWork, membership_id: int, now: datetime) -> Statement:
    membership = uow.memberships.get(membership_id)
    plan = uow.plans.get(membership.plan_id, local_date(now))
    return Statement(
        membership=membership,
        status=membership.status(plan, local_date(now)),
        plan_version=plan.version,
        balance=uow.ledger.member_balance(membership_id),
        lines=uow.rounds.statement([membership_id]),
    )
