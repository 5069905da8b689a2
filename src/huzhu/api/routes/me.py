"""The caller's own account, identity and dependants."""

from __future__ import annotations

from fastapi import APIRouter

from huzhu.api.deps import Caller, Now, Uow
from huzhu.api.problems import ERROR_RESPONSES
from huzhu.api.routes.auth import account_out
from huzhu.api.schemas import AccountOut, PersonIn, PersonOut
from huzhu.api.views import person_out
from huzhu.domain.errors import NotFound
from huzhu.services.members import joining
from huzhu.services.members.service import PersonDetails

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
    return joining.link_person(uow, principal, details(body), now)


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
    out = person_out(joining.add_dependant(uow, principal, details(body), now))
    uow.commit()
    return out
