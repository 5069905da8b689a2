"""Prepaid accounts: a payer's own membership and their dependants' in one plan share a balance.

The payer is the guardian (or, for a person with no guardian, the person). The account of payer P
in a plan holds every membership in that plan of P and of the people whose guardian is P; its
balance is their credits minus their charges. Family order (docs/books.md, "Family debit
order"): the payer's own membership first, then the dependants' by joined_at, then membership id.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, exists, func, literal, or_, select

from huzhu.domain.members import Lifecycle
from huzhu.domain.money import Fen
from huzhu.storage.tables import (
    ledger_transactions,
    member_charges,
    member_credits,
    memberships,
    people,
)


def payer_of(person: Any = people) -> Any:
    """The payer of a person's memberships: their guardian, else themselves."""
    return func.coalesce(person.c.guardian_id, person.c.id)


def family_order(member: Any = memberships, person: Any = people) -> list[Any]:
    """The sort key of family order within one account."""
    own = case((person.c.guardian_id.is_(None), literal(0)), else_=literal(1))
    return [own, member.c.joined_at, member.c.id]


def _family(payer: Any) -> Any:
    """The people whose memberships belong to payer's accounts (by index, not by a scan)."""
    return select(people.c.id).where(or_(people.c.id == payer, people.c.guardian_id == payer))


def _per_membership(t: Any, name: str, plan_id: Any, payer: Any = None) -> Any:
    in_plan = select(memberships.c.id).where(memberships.c.plan_id == plan_id)
    if payer is not None:
        in_plan = in_plan.where(memberships.c.person_id.in_(_family(payer)))
    return (
        select(t.c.membership_id.label("mid"), func.sum(t.c.amount).label("amount"))
        .where(t.c.membership_id.in_(in_plan))
        .group_by(t.c.membership_id)
        .subquery(name)
    )


def account_balances(plan_id: Any, payer: Any = None) -> Any:
    """Each account of the plan (or only payer's) with its balance: a subquery of (payer, held).
    With `payer` it reads that family's rows only, so a top-up costs the same in any plan size."""
    credited = _per_membership(member_credits, "credited", plan_id, payer)
    charged = _per_membership(member_charges, "charged", plan_id, payer)
    m, p = memberships.alias("acct_m"), people.alias("acct_p")
    held = func.sum(func.coalesce(credited.c.amount, 0) - func.coalesce(charged.c.amount, 0))
    q = (
        select(payer_of(p).label("payer"), held.label("held"))
        .select_from(
            m.join(p, p.c.id == m.c.person_id)
            .outerjoin(credited, credited.c.mid == m.c.id)
            .outerjoin(charged, charged.c.mid == m.c.id)
        )
        .where(m.c.plan_id == plan_id)
    )
    if payer is not None:
        q = q.where(m.c.person_id.in_(_family(payer)))
    return q.group_by(payer_of(p)).subquery("accounts")


def positions(plan_id: Any, payer: Any = None) -> Any:
    """Each membership of the plan (or of payer's account) that has not left, with its payer and
    its 1-based place in family order among the account's memberships that have not left:
    (id, payer, place)."""
    m, p = memberships.alias("pos_m"), people.alias("pos_p")
    place = func.row_number().over(partition_by=payer_of(p), order_by=family_order(m, p))
    q = (
        select(m.c.id.label("id"), payer_of(p).label("payer"), place.label("place"))
        .select_from(m.join(p, p.c.id == m.c.person_id))
        .where(m.c.plan_id == plan_id, m.c.left_at.is_(None))
    )
    if payer is not None:  # a whole account is kept, so the places are the same
        q = q.where(m.c.person_id.in_(_family(payer)))
    return q.subquery("positions")


# One account's queries are built once, with the plan and payer as parameters: building them is
# dearer than running them, and a top-up's callback runs them for each membership it reaches.
@cache
def _held() -> Any:
    payer: Any = bindparam("payer")
    accounts = account_balances(bindparam("plan_id"), payer)
    return select(accounts.c.held).where(accounts.c.payer == payer)


@cache
def _place() -> Any:
    pos = positions(bindparam("plan_id"), bindparam("payer"))
    return select(pos.c.place).where(pos.c.id == bindparam("membership_id"))


@cache
def _account() -> Any:
    pos = positions(bindparam("plan_id"), bindparam("payer"))
    return select(pos.c.id).order_by(pos.c.place)


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
        """A membership's place in its account's family order (0 once it has left), and the
        account's balance."""
        found = self._plan_and_payer(membership_id)
        if found is None:
            return 0, 0
        plan_id, payer = found
        params = {"plan_id": plan_id, "payer": payer, "membership_id": membership_id}
        held = self.conn.scalar(_held(), params)
        place = self.conn.scalar(_place(), params)
        return int(place or 0), int(held or 0)

    def _plan_and_payer(self, membership_id: int) -> tuple[str, int] | None:
        row = self.conn.execute(
            select(memberships.c.plan_id, payer_of())
            .join(people, people.c.id == memberships.c.person_id)
            .where(memberships.c.id == membership_id)
        ).first()
        return None if row is None else (str(row[0]), int(row[1]))

    def account_of(self, membership_id: int) -> list[int]:
        """The memberships of this membership's account that have not left, in family order."""
        found = self._plan_and_payer(membership_id)
        if found is None:
            return [membership_id]
        plan_id, payer = found
        ids = [int(m) for m in self.conn.scalars(_account(), {"plan_id": plan_id, "payer": payer})]
        return ids if membership_id in ids else [membership_id]

    def dormant(self, plan_id: str) -> list[Any]:
        """Accounts that hold money and have no active membership: (payer, held, first), first
        being the account's first membership in family order (left ones too), which the fee is
        booked against."""
        accounts = account_balances(plan_id)
        m, p = memberships.alias("dm"), people.alias("dp")
        mine = and_(m.c.plan_id == plan_id, payer_of(p) == accounts.c.payer)
        active = exists(
            select(m.c.id)
            .join(p, p.c.id == m.c.person_id)
            .where(mine, m.c.lifecycle == Lifecycle.ACTIVE.value)
        )
        first = (
            select(m.c.id)
            .join(p, p.c.id == m.c.person_id)
            .where(mine)
            .order_by(*family_order(m, p))
            .limit(1)
            .scalar_subquery()
        )
        q = select(accounts.c.payer, accounts.c.held, first.label("first")).where(
            accounts.c.held > 0, ~active
        )
        return list(self.conn.execute(q.order_by(accounts.c.payer)))

    def fees_to_refund(self, plan_id: str, kind: str, since: datetime) -> list[Any]:
        """Dormancy fees posted since `since`, not yet refunded, whose account has an active
        membership now: (key, membership_id, amount)."""
        t, r = ledger_transactions.alias("fee"), ledger_transactions.alias("refund")
        m, p = memberships.alias("fm"), people.alias("fp")
        am, ap = memberships.alias("am"), people.alias("ap")
        refunded = exists(select(r.c.id).where(r.c.key == literal("refund-of:") + t.c.key))
        active = exists(
            select(am.c.id)
            .join(ap, ap.c.id == am.c.person_id)
            .where(
                am.c.plan_id == plan_id,
                payer_of(ap) == payer_of(p),
                am.c.lifecycle == Lifecycle.ACTIVE.value,
            )
        )
        q = (
            select(t.c.key, member_credits.c.membership_id, -member_credits.c.amount)
            .join(member_credits, member_credits.c.transaction_id == t.c.id)
            .join(m, m.c.id == member_credits.c.membership_id)
            .join(p, p.c.id == m.c.person_id)
            .where(t.c.plan_id == plan_id, t.c.kind == kind, t.c.posted_at >= since)
            .where(~refunded, active)
            .order_by(t.c.id)
        )
        return list(self.conn.execute(q))
