"""Prepaid accounts: a payer's own membership and their dependants' in one plan share a balance.

The payer is the guardian (or, for a person with no guardian, the person). The account of payer P
in a plan holds every membership in that plan of P and of the people whose guardian is P; its
balance is their credits minus their charges. Family order (README, "Family debit order"): the
payer's own membership first, then the dependants' by joined_at, then membership id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, case, func, literal, select

from huzhu.domain.money import Fen
from huzhu.storage.tables import member_charges, member_credits, memberships, people


def payer_of(person: Any = people) -> Any:
    """The payer of a person's memberships: their guardian, else themselves."""
    return func.coalesce(person.c.guardian_id, person.c.id)


def family_order(member: Any = memberships, person: Any = people) -> list[Any]:
    """The sort key of family order within one account."""
    own = case((person.c.guardian_id.is_(None), literal(0)), else_=literal(1))
    return [own, member.c.joined_at, member.c.id]


def _per_membership(t: Any, name: str) -> Any:
    return (
        select(t.c.membership_id.label("mid"), func.sum(t.c.amount).label("amount"))
        .group_by(t.c.membership_id)
        .subquery(name)
    )


def account_balances(plan_id: str) -> Any:
    """Each account of the plan with its balance: a subquery of (payer, held)."""
    credited = _per_membership(member_credits, "credited")
    charged = _per_membership(member_charges, "charged")
    m, p = memberships.alias("acct_m"), people.alias("acct_p")
    held = func.sum(func.coalesce(credited.c.amount, 0) - func.coalesce(charged.c.amount, 0))
    return (
        select(payer_of(p).label("payer"), held.label("held"))
        .select_from(
            m.join(p, p.c.id == m.c.person_id)
            .outerjoin(credited, credited.c.mid == m.c.id)
            .outerjoin(charged, charged.c.mid == m.c.id)
        )
        .where(m.c.plan_id == plan_id)
        .group_by(payer_of(p))
        .subquery("accounts")
    )


def positions(plan_id: str) -> Any:
    """Each membership of the plan that has not left, with its payer and its 1-based place in
    family order among the account's memberships that have not left: (id, payer, place)."""
    m, p = memberships.alias("pos_m"), people.alias("pos_p")
    place = func.row_number().over(partition_by=payer_of(p), order_by=family_order(m, p))
    return (
        select(m.c.id.label("id"), payer_of(p).label("payer"), place.label("place"))
        .select_from(m.join(p, p.c.id == m.c.person_id))
        .where(m.c.plan_id == plan_id, m.c.left_at.is_(None))
        .subquery("positions")
    )


class FamilyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def negative(self, plan_id: str) -> list[Any]:
        """Accounts below zero: (payer, held, first membership in family order)."""
        accounts = account_balances(plan_id)
        first = (
            select(memberships.c.id)
            .join(people, people.c.id == memberships.c.person_id)
            .where(memberships.c.plan_id == plan_id, payer_of() == accounts.c.payer)
            .order_by(*family_order())
            .limit(1)
            .scalar_subquery()
        )
        q = select(accounts.c.payer, accounts.c.held, first.label("first")).where(
            accounts.c.held < 0
        )
        return list(self.conn.execute(q.order_by(accounts.c.payer)))

    def place_and_balance(self, membership_id: int) -> tuple[int, Fen]:
        """A membership's place in its account's family order, and the account's balance."""
        plan_id = str(
            self.conn.scalar(select(memberships.c.plan_id).where(memberships.c.id == membership_id))
        )
        pos, accounts = positions(plan_id), account_balances(plan_id)
        row = self.conn.execute(
            select(pos.c.place, func.coalesce(accounts.c.held, 0))
            .select_from(pos.outerjoin(accounts, accounts.c.payer == pos.c.payer))
            .where(pos.c.id == membership_id)
        ).first()
        return (int(row[0]), int(row[1])) if row else (1, 0)

    def account_of(self, membership_id: int) -> list[int]:
        """The memberships of this membership's account that have not left, in family order."""
        plan_id = str(
            self.conn.scalar(select(memberships.c.plan_id).where(memberships.c.id == membership_id))
        )
        pos = positions(plan_id)
        payer = select(pos.c.payer).where(pos.c.id == membership_id).scalar_subquery()
        q = select(pos.c.id).where(pos.c.payer == payer).order_by(pos.c.place)
        return [int(m) for m in self.conn.scalars(q)] or [membership_id]
