"""The demo's accounts: a member to sign in as, and the plan's reviewer, operator and auditor.

They are made by the account service, as registration and the operator's role assignment make
them. The member is a person who joined two plans on the demo's first day through the ordinary
join service, and whose account holds that identity. Passwords come from $HUZHU_DEMO_PASSWORD,
else each is drawn at random and printed once at the end of the demo.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from huzhu.domain.access import Role
from huzhu.domain.plans import Plan
from huzhu.services.accounts import service as accounts
from huzhu.services.members.service import JoinRequest, PersonDetails, join
from huzhu.settings import current
from huzhu.simulation.population import generate_people
from huzhu.simulation.world import World

PASSWORD_ENV = "HUZHU_DEMO_PASSWORD"
ROLES = {
    "demo-member": Role.MEMBER,
    "demo-reviewer": Role.REVIEWER,
    "demo-operator": Role.OPERATOR,
    "demo-auditor": Role.AUDITOR,
}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: Role
    account_id: int


@dataclass
class DemoMember:
    account: DemoAccount
    person_id: int
    memberships: dict[str, int]  # plan id -> membership id


def password() -> str:
    return current().demo_password or secrets.token_urlsafe(9)


def create_staff(w: World, at: datetime) -> list[DemoAccount]:
    made = []
    with w.uow() as uow:
        for username, role in ROLES.items():
            if role is Role.MEMBER:
                continue
            secret = password()
            account_id = accounts.register(uow, username, secret, at, frozenset({role}))
            made.append(DemoAccount(username, secret, role, account_id))
        uow.commit()
    w.reviewer_account = next(a.account_id for a in made if a.role is Role.REVIEWER)
    return made


def create_member(w: World, plans: list[Plan], at: datetime) -> DemoMember:
    """A person of 35 or so who joins `plans` and signs up for an account with that identity."""
    who = next(
        generate_people(1, seed=w.seed + 7, today=at.date(), min_age_days=33 * 366,
                        max_age_years=38)
    )  # fmt: skip
    person = PersonDetails(
        id_number=who.id_number,
        name=who.name,
        province_code=who.province_code,
        city_tier=who.city_tier,
        rural=who.rural,
        phone=who.phone,
        credit_score=max(who.credit_score, 700),
        labels=who.labels,
    )
    secret = password()
    joined: dict[str, int] = {}
    with w.uow() as uow:
        account_id = accounts.register(uow, "demo-member", secret, at)
        for plan in plans:
            answers = {q.id: q.required_answer for q in plan.eligibility.health_declaration}
            result = join(uow, JoinRequest(plan.id, person, answers), at)
            joined[plan.id] = result.membership_id
            person_id = result.person_id
        uow.accounts.link_person(account_id, person_id)
        uow.commit()
    w.protected.update(joined.values())
    return DemoMember(DemoAccount("demo-member", secret, Role.MEMBER, account_id), person_id,
                      joined)  # fmt: skip
