"""Joining a plan as a signed-in account: the caller's identity, a dependant, the audit trail.

The API's general join path and the web portal's join form both come here, so that a refusal and
what is recorded are the same whichever door a member comes through.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from huzhu.domain.access import Principal
from huzhu.domain.errors import Conflict, InvalidInput, NotFound
from huzhu.domain.identity import parse_document
from huzhu.domain.members import LeaveReason, Membership, Person
from huzhu.domain.money import Fen
from huzhu.gateways.base import PaymentGateway
from huzhu.services.accounts import ownership as access
from huzhu.services.events import notify_person, record
from huzhu.services.members import service as svc
from huzhu.services.members.credit import ImportedScore
from huzhu.services.money.ledger import top_up
from huzhu.storage.uow import UnitOfWork


class SandboxCredit(ImportedScore):
    """The built-in credit provider: the score on file, else the configured sandbox score."""

    def __init__(self, default: int | None) -> None:
        self.default = default

    def score(self, person: Person) -> int | None:
        return person.credit_score if person.credit_score is not None else self.default


def registered(uow: UnitOfWork, details: svc.PersonDetails) -> Person | None:
    doc = parse_document(
        details.id_type, details.id_number, birth_date=details.birth_date, sex=details.sex
    )
    return uow.people.by_document(doc.type.value, doc.number)


def new_person(uow: UnitOfWork, details: svc.PersonDetails, now: datetime) -> int:
    """Register an identity that huzhu does not know yet.

    An identity already on file (imported, enrolled by a guardian, or another account's) is never
    handed to whoever quotes its ID number: that would let anyone take over a member. Linking one
    needs the operator, after a real-name check.
    """
    if registered(uow, details) is not None:
        raise Conflict(
            "this ID number is already registered; the operator can link it after verifying "
            "your identity",
            code="id-number-registered",
            field="id_number",
        )
    person = svc.find_or_register(uow, details, now)
    assert person.id is not None
    return person.id


def link_person(
    uow: UnitOfWork, principal: Principal, details: svc.PersonDetails, now: datetime
) -> int:
    """Attach an identity to the caller's account, once."""
    if principal.person_id is not None or uow.identity_checks.pending(principal.account_id, "self"):
        raise Conflict("this account already has its identity", code="person-already-set")
    person_id = new_person(uow, details, now)
    uow.accounts.link_person(principal.account_id, person_id)
    record(uow, principal.account_id, "person.linked", f"person:{person_id}", {}, now)
    return person_id


def join_as(
    uow: UnitOfWork,
    principal: Principal,
    plan_id: str,
    health_answers: Mapping[str, bool],
    now: datetime,
    credit: ImportedScore,
    *,
    person: svc.PersonDetails | None = None,
    dependant_id: int | None = None,
    deposit_key: str | None = None,
    gateway: PaymentGateway | None = None,
) -> Membership:
    """Join `plan_id` for the caller (giving their identity now if `person`) or a dependant. A
    prepaid plan's deposit is asked of `gateway` under `deposit_key` (services.deposit)."""
    person_id = principal.person_id
    if person is not None:
        person_id = link_person(uow, principal, person, now)
    if dependant_id is not None:
        if person_id is None:
            raise NotFound("give your own identity first", code="no-person")
        dependant = uow.people.get(dependant_id) if dependant_id else None
        if dependant is None or dependant.guardian_id != person_id:
            raise NotFound(f"no dependant {dependant_id}", code="unknown-dependant")
        person_id = dependant.id
    if person_id is None:
        raise InvalidInput(
            "give your identity in 'person' (or PUT /v1/me/person first)",
            code="missing-field",
            field="person",
        )
    who = uow.people.get(person_id)
    guardian = uow.people.get(who.guardian_id) if who.guardian_id else None
    result = svc.join(
        uow,
        svc.JoinRequest(
            plan_id=plan_id,
            person=svc.PersonDetails(id_type=who.id_type, id_number=who.id_number, name=who.name),
            health_answers=health_answers,
            guardian_id_type=guardian.id_type if guardian else None,
            guardian_id_number=guardian.id_number if guardian else None,
            deposit_key=deposit_key,
        ),
        now,
        credit=credit,
        gateway=gateway,
    )
    m = uow.memberships.get(result.membership_id)
    details = {"plan_id": result.plan_id, "membership_id": m.id}
    record(uow, principal.account_id, "membership.joined", f"membership:{m.id}", details, now)
    notify_person(uow, m.person_id, "member.joined", details, now)
    return m


def leave_as(
    uow: UnitOfWork, principal: Principal, membership_id: int, now: datetime
) -> Membership:
    """Leave a plan in one step (self or a dependant). Charges of rounds already locked stay due."""
    m = access.membership(uow, principal, membership_id, write=True)
    assert m.id is not None
    left = svc.leave(uow, m.id, now, LeaveReason.VOLUNTARY)
    details = {"plan_id": left.plan_id, "membership_id": m.id, "reason": "voluntary"}
    record(uow, principal.account_id, "membership.left", f"membership:{m.id}", details, now)
    notify_person(uow, left.person_id, "member.left", details, now)
    return left


def top_up_as(
    uow: UnitOfWork, principal: Principal, membership_id: int, amount: Fen, key: str, now: datetime
) -> int:
    """Add to a prepaid balance; `key` makes a retried top-up a no-op. Returns the transaction."""
    m = access.membership(uow, principal, membership_id, write=True)
    assert m.id is not None
    txn = top_up(uow, m.id, amount, key, now)
    details = {"membership_id": m.id, "amount_fen": amount}
    record(uow, principal.account_id, "membership.topped-up", f"membership:{m.id}", details, now)
    return txn
