"""Deciding a new person's join before touching the database, for the one-statement join.

The general join reads the plan, registers the person, then checks eligibility. For a person huzhu
has never seen, everything it decides follows from the plan in force and the details given, so it
can be decided first and written in one statement (storage.repositories.quick_join). Only a join
that would succeed is decided here; anything else (not eligible, bad document) returns None and the
general path gives the answer, so both paths refuse with the same rules and messages.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine

from huzhu.domain.eligibility import Applicant, check_eligibility
from huzhu.domain.errors import HuzhuError
from huzhu.domain.identity import parse_document
from huzhu.domain.members import Membership, Person, exit_date
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plans import Plan
from huzhu.services.members.credit import CreditProvider
from huzhu.services.members.deposit import needs_deposit
from huzhu.services.members.service import PersonDetails, new_person
from huzhu.storage.uow import UnitOfWork


@dataclass(frozen=True)
class NewJoin:
    person: Person
    membership: Membership  # id and person_id are 0 until the database assigns them


def decide(
    plan: Plan,
    details: PersonDetails,
    health_answers: Mapping[str, bool],
    credit: CreditProvider,
    now: datetime,
) -> NewJoin | None:
    """The person and membership a successful join writes, or None when the general path must
    answer (the join would be refused, or the details are not valid)."""
    today = local_date(now)
    if needs_deposit(plan) or plan.activation_threshold:
        # The deposit goes through the gateway, and a join may activate a plan that needed
        # members first (recorded in the public log): the general path does both.
        return None
    try:
        doc = parse_document(
            details.id_type,
            details.id_number,
            birth_date=details.birth_date,
            sex=details.sex,
            today=today,
        )
    except HuzhuError:
        return None
    person = new_person(details, doc)
    applicant = Applicant(
        birth_date=person.birth_date,
        credit_score=credit.score(person),
        health_answers=health_answers,
        has_guardian=False,
    )
    if not check_eligibility(plan, applicant, today).ok:
        return None
    membership = Membership(
        id=0,
        plan_id=plan.id,
        person_id=0,
        plan_version=plan.version,
        joined_at=now,
        exit_on=exit_date(plan, person.birth_date),
    )
    return NewJoin(person, membership)


class PlansInForce:
    """The plan version in force per plan and day, kept for a few seconds.

    A stale entry is harmless: the one-statement join checks in the database that the version it
    was decided against is still the one in force, and falls back to the general path if not.
    """

    def __init__(self, engine: Engine, ttl_s: float = 5.0) -> None:
        self.engine = engine
        self.ttl_s = ttl_s
        self._plans: dict[tuple[str, date], tuple[float, Plan]] = {}
        self._lock = threading.Lock()

    def cached(self, plan_id: str, today: date) -> Plan | None:
        hit = self._plans.get((plan_id, today))
        if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
            return hit[1]
        return None

    def get(self, plan_id: str, today: date) -> Plan:
        """The plan, from the cache or else the database (blocking: call it off the loop)."""
        key = (plan_id, today)
        hit = self.cached(plan_id, today)
        if hit is not None:
            return hit
        with UnitOfWork(self.engine) as uow:
            plan = uow.plans.get(plan_id, today)
        with self._lock:
            if len(self._plans) > 1000:  # plan ids come from requests: stay bounded
                self._plans.clear()
            self._plans[key] = (time.monotonic(), plan)
        return plan
