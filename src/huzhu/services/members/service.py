"""Joining and leaving plans."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from huzhu.domain import lifecycle
from huzhu.domain.eligibility import Applicant, check_eligibility
from huzhu.domain.errors import Conflict, Forbidden, NotFound, RuleViolation, Violation
from huzhu.domain.identity import IdentityDocument, Sex, age_on, parse_document
from huzhu.domain.members import LeaveReason, Lifecycle, Membership, Person, Status, exit_date
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plan_rules import Category
from huzhu.gateways.base import PaymentGateway
from huzhu.services.members.credit import CreditProvider, ImportedScore
from huzhu.services.members.deposit import await_deposit, check_deposit, needs_deposit
from huzhu.services.plans import activation
from huzhu.services.plans.shutdown import closing_of
from huzhu.storage.uow import UnitOfWork


@dataclass(frozen=True)
class PersonDetails:
    """Who is joining, as given by the person, a host app or an import file."""

    id_number: str
    name: str
    id_type: str = "resident-id"
    birth_date: date | None = None
    sex: Sex | str | None = None
    province_code: str | None = None
    city_tier: int | None = None
    rural: bool | None = None
    phone: str | None = None
    email: str | None = None
    credit_score: int | None = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class JoinRequest:
    plan_id: str
    person: PersonDetails
    health_answers: Mapping[str, bool] = field(default_factory=dict)
    guardian_id_type: str | None = None
    guardian_id_number: str | None = None
    # A prepaid plan's deposit is asked of the gateway under this key (services.deposit).
    deposit_key: str | None = None


@dataclass(frozen=True)
class JoinResult:
    membership_id: int
    person_id: int
    plan_id: str
    plan_version: int
    status: Status
    illness_cover_from: date
    accident_cover_from: date


def find_or_register(uow: UnitOfWork, details: PersonDetails, now: datetime) -> Person:
    doc = parse_document(
        details.id_type,
        details.id_number,
        birth_date=details.birth_date,
        sex=details.sex,
        today=local_date(now),
    )
    existing = uow.people.by_document(doc.type.value, doc.number)
    if existing is not None:
        score = details.credit_score
        if score is not None and score != existing.credit_score and existing.id is not None:
            # A score given with this request is the provider's latest word on the person.
            uow.people.set_credit_score(existing.id, score)
            return uow.people.get(existing.id)
        return existing
    new_id = uow.people.add(new_person(details, doc), now)
    return uow.people.get(new_id)


def new_person(details: PersonDetails, doc: IdentityDocument) -> Person:
    """The person to register for details whose document has been validated."""
    return Person(
        id=None,
        id_type=doc.type.value,
        id_number=doc.number,
        name=details.name.strip(),
        birth_date=doc.birth_date,
        sex=doc.sex,
        province_code=details.province_code or doc.province_code,
        city_tier=details.city_tier,
        rural=details.rural,
        phone=details.phone,
        email=details.email,
        credit_score=details.credit_score,
        labels=details.labels,
    )


def _guardian(uow: UnitOfWork, req: JoinRequest, now: datetime) -> Person | None:
    if not req.guardian_id_number:
        return None
    doc = parse_document(req.guardian_id_type or "resident-id", req.guardian_id_number)
    guardian = uow.people.by_document(doc.type.value, doc.number)
    if guardian is None:
        raise NotFound(
            "the guardian must be registered first", code="unknown-guardian", field="guardian"
        )
    if age_on(guardian.birth_date, local_date(now)) < 18:
        raise RuleViolation([Violation("guardian-not-adult", "a guardian must be 18 or older")])
    return guardian


def join(
    uow: UnitOfWork,
    req: JoinRequest,
    now: datetime,
    credit: CreditProvider | None = None,
    gateway: PaymentGateway | None = None,
) -> JoinResult:
    plan = uow.plans.get(req.plan_id, local_date(now))
    lifecycle.check_join(plan.id, closing_of(uow, plan.id), local_date(now))
    check_deposit(plan, gateway, req.deposit_key)
    person = find_or_register(uow, req.person, now)
    guardian = _guardian(uow, req, now)
    assert person.id is not None
    if guardian is not None and person.guardian_id is None:
        uow.people.set_guardian(person.id, guardian.id)
    applicant = Applicant(
        birth_date=person.birth_date,
        credit_score=(credit or ImportedScore()).score(person),
        health_answers=req.health_answers,
        has_guardian=guardian is not None or person.guardian_id is not None,
    )
    report = check_eligibility(plan, applicant, local_date(now))
    if uow.memberships.live(plan.id, person.id) is not None:
        raise Conflict(f"already a member of {plan.id}", code="already-member", field="plan")
    if uow.memberships.paid_out(plan.id, [person.id]):
        # A payout ends the member's cover in the plan for good: a new membership would let the
        # same person be paid twice by the same members.
        raise Conflict(
            f"{plan.id} has already paid this person out; cover in it has ended",
            code="already-paid-out",
            field="plan",
        )
    report.raise_if_failed()
    membership = Membership(
        id=None,
        plan_id=plan.id,
        person_id=person.id,
        plan_version=plan.version,
        joined_at=now,
        exit_on=exit_date(plan, person.birth_date),
    )
    new_id = uow.memberships.add(membership)
    membership.id = new_id
    activation.latch(uow, plan, now)
    if needs_deposit(plan):
        await_deposit(uow, plan, gateway, new_id, req.deposit_key, now)
        membership = uow.memberships.get(new_id)
    return JoinResult(
        membership_id=new_id,
        person_id=person.id,
        plan_id=plan.id,
        plan_version=plan.version,
        status=membership.status(plan, local_date(now)),
        illness_cover_from=membership.cover_starts(plan, Category.CRITICAL_ILLNESS),
        accident_cover_from=membership.cover_starts(plan, Category.ACCIDENT),
    )


def leave(
    uow: UnitOfWork,
    membership_id: int,
    now: datetime,
    reason: LeaveReason = LeaveReason.VOLUNTARY,
    *,
    person_id: int | None = None,
) -> Membership:
    """Leaving is one step. `person_id`, when given, must own the membership. The membership's
    row is held, so of racing leaves (or a leave and a top-up) one goes first and the next sees
    it."""
    membership = uow.memberships.get(membership_id, lock=True)
    if person_id is not None and membership.person_id != person_id:
        raise Forbidden("this membership is not yours", code="not-your-membership")
    membership.leave(reason, now)
    uow.memberships.save_leave(membership)
    return membership


def live_membership(uow: UnitOfWork, plan_id: str, id_type: str, id_number: str) -> Membership:
    doc = parse_document(id_type, id_number)
    person = uow.people.by_document(doc.type.value, doc.number)
    membership = None
    if person is not None and person.id is not None:
        membership = uow.memberships.live(plan_id, person.id)
    if membership is None or membership.lifecycle is Lifecycle.LEFT:
        raise NotFound(f"not a member of {plan_id}", code="not-a-member", field="id_number")
    return membership
