"""The demo's accounts: a member to sign in as, and the plan's reviewer, operator and auditor.

They are made by the account service, as registration and the operator's role assignment make
them. The member is a person who joined two plans on the demo's first day through the ordinary
join service, and whose account holds that identity. Passwords come from $HUZHU_DEMO_PASSWORD,
else each is drawn at random and printed once at the end of the demo.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from huzhu.domain.access import Role
from huzhu.domain.identity import make_resident_id
from huzhu.domain.money import Fen
from huzhu.domain.plans import Plan
from huzhu.services.accounts import service as accounts
from huzhu.services.members import prepaid
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
SENIOR = "demo-senior"  # a member who reaches Xiang Hu Bao's exit age and is offered its successor


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
    id_number: str = ""
    family: list[int] = field(default_factory=list)  # prepaid account: payer's, then the child's


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
                      joined, who.id_number)  # fmt: skip


def _answers(plan: Plan) -> dict[str, bool]:
    return {q.id: q.required_answer for q in plan.eligibility.health_declaration}


def join_family(w: World, member: DemoMember, plan: Plan, top_up: Fen, at: datetime) -> None:
    """The demo member joins the prepaid plan with its deposit, enrols their child as a dependant
    (a second deposit, one shared balance) and tops the account up."""
    child = PersonDetails(
        id_number=make_resident_id("110105", at.date() - timedelta(days=6 * 366), 2),
        name="吴小满",
    )
    with w.uow() as uow:
        gateway = w.gateway_for(uow.conn)
        mine = PersonDetails(id_number=member.id_number, name="")
        own = join(uow, JoinRequest(plan.id, mine, _answers(plan), deposit_key="demo-member"),
                   at, gateway=gateway)  # fmt: skip
        request = JoinRequest(plan.id, child, _answers(plan), guardian_id_number=member.id_number,
                              deposit_key="demo-member-child")  # fmt: skip
        theirs = join(uow, request, at, gateway=gateway)
        prepaid.request_top_up(uow, gateway, own.membership_id, top_up, "demo-member-1", at)
        uow.commit()
    member.memberships[plan.id] = own.membership_id
    member.family = [own.membership_id, theirs.membership_id]
    w.protected.update(member.family)


def create_senior(w: World, plan: Plan, at: datetime) -> DemoAccount:
    """A member of `plan` who reaches its exit age some weeks into the demo, with an account."""
    birthday = w.start + timedelta(days=40)
    try:
        born = birthday.replace(year=birthday.year - (plan.eligibility.exit_age_years or 60))
    except ValueError:  # 29 February
        born = date(birthday.year - (plan.eligibility.exit_age_years or 60), 2, 28)
    person = PersonDetails(
        id_number=make_resident_id("310104", born, 7), name="林秀英", credit_score=720
    )
    secret = password()
    with w.uow() as uow:
        account_id = accounts.register(uow, SENIOR, secret, at)
        result = join(uow, JoinRequest(plan.id, person, _answers(plan)), at)
        uow.accounts.link_person(account_id, result.person_id)
        uow.commit()
    w.protected.add(result.membership_id)
    return DemoAccount(SENIOR, secret, Role.MEMBER, account_id)
