"""Prepaid accounts: a payer's own membership and their dependants' in one plan share a balance.

The payer is the guardian (or, for a person with no guardian, the person). The account of payer P
in a plan holds every membership in that plan of P and of the people whose guardian is P; its
balance is their credits minus their charges. Family order (docs/books.md, "Family debit
order"): the payer's own membership first, then the dependants' by joined_at, then membership id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, exists, func, literal, or_, select

from huzhu.domain.members import Lifecycle
from huzhu.domain.money import Fen
from huzhu.storage.tables import (
    ledger_transactions,
    member_charges,
    member_credits,
    memberships,
    people,
)
from huzhu.storage.tables_money import collection_batches

SETTLED = "settled:"  # the key prefix of a gateway top-up's transaction: settled:{gateway ref}


def payer_of(person: Any = people) -> Any:
    """The payer of a person's memberships: their guardian, else themselves."""
    return func.coalesce(person.c.guardian_id, person.c.id)


def family_order(member: Any = memberships, person: Any = people) -> list[Any]:
    """The sort key of family order within one account."""
    own = case((person.c.guardian_id.is_(None), literal(0)), else_=literal(1))
    return [own, member.c.joined_at, member.c.id]


def _per_membership(t: Any, name: str, plan_id: str) -> Any:
    in_plan = select(memberships.c.id).where(memberships.c.plan_id == plan_id)
    return (
        select(t.c.membership_id.label("mid"), func.sum(t.c.amount).label("amount"))
        .where(t.c.membership_id.in_(in_plan))
        .group_by(t.c.membership_id)
        .subquery(name)
    )


def account_balances(plan_id: str) -> Any:
    """Each account of the plan with its balance: a subquery of (payer, held)."""
    credited = _per_membership(member_credits, "credited", plan_id)
    charged = _per_membership(member_charges, "charged", plan_id)
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

    def _account(self, membership_id: int) -> list[Any]:
        """Every membership of this membership's account (left ones too), in family order:
        (id, left_at). Read through the payer's own row and the guardian index, never through
        the plan's other accounts, so a statement or a top-up costs the same at any plan size."""
        mine = (
            select(memberships.c.plan_id, payer_of().label("payer"))
            .join(people, people.c.id == memberships.c.person_id)
            .where(memberships.c.id == membership_id)
        )
        found = self.conn.execute(mine).one_or_none()
        if found is None:
            return []
        plan_id, payer = found
        family = select(people.c.id).where(or_(people.c.id == payer, people.c.guardian_id == payer))
        q = (
            select(memberships.c.id, memberships.c.left_at)
            .join(people, people.c.id == memberships.c.person_id)
            .where(memberships.c.plan_id == plan_id, memberships.c.person_id.in_(family))
            .where(payer_of() == payer)
            .order_by(*family_order())
        )
        return list(self.conn.execute(q))

    def _held(self, membership_ids: list[int]) -> Fen:
        credited = select(func.coalesce(func.sum(member_credits.c.amount), 0)).where(
            member_credits.c.membership_id.in_(membership_ids)
        )
        charged = select(func.coalesce(func.sum(member_charges.c.amount), 0)).where(
            member_charges.c.membership_id.in_(membership_ids)
        )
        return int(self.conn.scalar(credited) or 0) - int(self.conn.scalar(charged) or 0)

    def place_and_balance(self, membership_id: int) -> tuple[int, Fen]:
        """A membership's place in its account's family order (0 once it has left), and the
        account's balance."""
        account = self._account(membership_id)
        staying = [r.id for r in account if r.left_at is None]
        place = staying.index(membership_id) + 1 if membership_id in staying else 0
        return place, self._held([r.id for r in account])

    def account_of(self, membership_id: int) -> list[int]:
        """The memberships of this membership's account that have not left, in family order."""
        staying = [int(r.id) for r in self._account(membership_id) if r.left_at is None]
        return staying or [membership_id]

    def moves(self, membership_id: int, before_id: int, limit: int) -> list[Any]:
        """Money into and out of this membership's account, newest first: up to `limit` credit
        rows with an id below `before_id` (0: from the newest), by keyset, so years of top-ups
        cost one page each. Rows: (id, membership_id, at, kind, amount, key, deposit); `key` is
        the transaction's key (it carries the gateway reference) and `deposit` is 1 for the
        top-up asked at joining (its gateway instruction was submitted as the member joined)."""
        ids = [int(r.id) for r in self._account(membership_id)] or [membership_id]
        c, t, b, m = member_credits, ledger_transactions, collection_batches, memberships
        asked = and_(
            t.c.key.startswith(SETTLED),
            b.c.gateway_ref == func.substr(t.c.key, len(SETTLED) + 1),
            b.c.kind == "top-up",
        )
        deposit = case((b.c.submitted_at == m.c.joined_at, literal(1)), else_=literal(0))
        q = (
            select(c.c.id, c.c.membership_id, c.c.at, c.c.kind, c.c.amount, t.c.key,
                   deposit.label("deposit"))
            .join(t, t.c.id == c.c.transaction_id)
            .join(m, m.c.id == c.c.membership_id)
            .outerjoin(b, asked)
            .where(c.c.membership_id.in_(ids))
        )  # fmt: skip
        if before_id:
            q = q.where(c.c.id < before_id)
        return list(self.conn.execute(q.order_by(c.c.id.desc()).limit(limit)))

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
