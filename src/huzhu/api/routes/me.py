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


def link_person(uow: Uow, principal: Caller, body: PersonIn, now: Now) -> int:
    """Attach an identity to the caller's account, once."""
    if principal.person_id is not None:
        raise Conflict("this account already has its identity", code="person-already-set")
    person = find_or_register(uow, details(body), now)
    assert person.id is not None
    if uow.accounts.by_person(person.id) is not None:
        raise Conflict(
            "this ID number belongs to another account", code="id-number-claimed", field="id_number"
        )
    uow.accounts.link_person(principal.account_id, person.id)
    record(uow, principal.account_id, "person.linked", f"person:{person.id}", {}, now)
    return person.id


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
    person = find_or_register(uow, details(body), now)
    assert person.id is not None
    if person.id == principal.person_id:
        raise Conflict("you cannot be your own dependant", code="self-dependant")
    if person.guardian_id not in (None, principal.person_id) or uow.accounts.by_person(person.id):
        raise Conflict("this person already has a guardian or an account", code="dependant-claimed")
    uow.people.set_guardian(person.id, principal.person_id)
    record(uow, principal.account_id, "dependant.added", f"person:{person.id}", {}, now)
    out = person_out(uow.people.get(person.id))
    uow.commit()
    return out
