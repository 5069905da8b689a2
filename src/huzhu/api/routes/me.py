"""The caller's own account, identity and dependants."""

from __future__ import annotations

from fastapi import APIRouter

from huzhu.api.audit import record
from huzhu.api.deps import Caller, Now, Uow
from huzhu.api.problems import ERROR_RESPONSES
from huzhu.api.routes.auth import account_out
from huzhu.api.schemas import AccountOut, PersonIn, PersonOut
from huzhu.api.views import person_out
from huzhu.domain.errors import Conflict, NotFound
from huzhu.domain.identity import parse_document
from huzhu.domain.members import Person
from huzhu.services.members import PersonDetails, find_or_register

router = APIRouter(prefix="/v1/me", tags=["me"], responses=ERROR_RESPONSES)


def details(body: PersonIn) -> PersonDetails:
    return PersonDetails(
        id_number=body.id_number,
        name=body.name,
        id_type=body.id_type,
        birth_date=body.birth_date,
        sex=body.sex,
        province_code=body.province_code,
        city_tier=body.city_tier,
        rural=body.rural,
        phone=body.phone,
        email=body.email,
    )


def _registered(uow: Uow, body: PersonIn) -> Person | None:
    doc = parse_document(body.id_type, body.id_number, birth_date=body.birth_date, sex=body.sex)
    return uow.people.by_document(doc.type.value, doc.number)


def _new_person(uow: Uow, body: PersonIn, now: Now) -> int:
    """Register an identity that huzhu does not know yet.

    An identity already on file (imported, enrolled by a guardian, or another account's) is never
    handed to whoever quotes its ID number: that would let anyone take over a member. Linking one
    needs the operator, after a real-name check.
    """
    if _registered(uow, body) is not None:
        raise Conflict(
            "this ID number is already registered; the operator can link it after verifying "
            "your identity",
            code="id-number-registered",
            field="id_number",
        )
    person = find_or_register(uow, details(body), now)
    assert person.id is not None
    return person.id


def link_person(uow: Uow, principal: Caller, body: PersonIn, now: Now) -> int:
    """Attach an identity to the caller's account, once."""
    if principal.person_id is not None:
        raise Conflict("this account already has its identity", code="person-already-set")
    person_id = _new_person(uow, body, now)
    uow.accounts.link_person(principal.account_id, person_id)
    record(uow, principal.account_id, "person.linked", f"person:{person_id}", {}, now)
    return person_id


@router.get("")
def me(principal: Caller, uow: Uow) -> AccountOut:
    return account_out(uow, principal.account_id)


@router.get("/person")
def my_person(principal: Caller, uow: Uow) -> PersonOut:
    if principal.person_id is None:
        raise NotFound("no identity yet: PUT /v1/me/person first", code="no-person")
    return person_out(uow.people.get(principal.person_id))


@router.put("/person")
def set_my_person(body: PersonIn, principal: Caller, uow: Uow, now: Now) -> PersonOut:
    """Give the account its identity (resident ID number and name). It cannot be changed later."""
    person_id = link_person(uow, principal, body, now)
    out = person_out(uow.people.get(person_id))
    uow.commit()
    return out


@router.get("/dependants")
def my_dependants(principal: Caller, uow: Uow) -> list[PersonOut]:
    if principal.person_id is None:
        return []
    return [person_out(p) for p in uow.people.dependants(principal.person_id)]


@router.post("/dependants", status_code=201)
def add_dependant(body: PersonIn, principal: Caller, uow: Uow, now: Now) -> PersonOut:
    """Register a dependant (a child, or an elderly parent) whom the caller may enrol."""
    if principal.person_id is None:
        raise NotFound("give your own identity first: PUT /v1/me/person", code="no-person")
    existing = _registered(uow, body)
    if existing is not None and existing.guardian_id == principal.person_id:
        return person_out(existing)  # already theirs: adding again changes nothing
    person_id = _new_person(uow, body, now)
    uow.people.set_guardian(person_id, principal.person_id)
    record(uow, principal.account_id, "dependant.added", f"person:{person_id}", {}, now)
    out = person_out(uow.people.get(person_id))
    uow.commit()
    return out
