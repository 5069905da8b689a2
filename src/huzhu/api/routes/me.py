"""The caller's own account, identity and dependants."""

from __future__ import annotations

from fastapi import APIRouter

from huzhu.api.deps import Caller, Now, Uow
from huzhu.api.problems import ERROR_RESPONSES
from huzhu.api.routes.auth import account_out
from huzhu.api.schemas_accounts import AccountOut, IdentityReceiptOut, PersonIn, PersonOut
from huzhu.api.views import person_out
from huzhu.domain.errors import NotFound
from huzhu.services.members import identity
from huzhu.services.members.identity import IdentityReceipt
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


def receipt_out(receipt: IdentityReceipt) -> IdentityReceiptOut:
    return IdentityReceiptOut(**vars(receipt))


@router.get("")
def me(principal: Caller, uow: Uow) -> AccountOut:
    return account_out(uow, principal.account_id)


@router.get("/person")
def my_person(principal: Caller, uow: Uow) -> PersonOut:
    if principal.person_id is None:
        if uow.identity_checks.pending(principal.account_id, identity.SELF):
            raise NotFound(
                "your identity waits for the operator's real-name check", code="identity-pending"
            )
        raise NotFound("no identity yet: PUT /v1/me/person first", code="no-person")
    return person_out(uow.people.get(principal.person_id))


@router.put("/person", status_code=202)
def set_my_person(body: PersonIn, principal: Caller, uow: Uow, now: Now) -> IdentityReceiptOut:
    """Give the account its identity (resident ID number and name). It cannot be changed later.

    The answer is the same whether or not the number is already on file: a number on file waits
    for the operator's real-name check; GET /v1/me/person shows the identity once it is linked."""
    out = receipt_out(identity.give_identity(uow, principal, details(body), now))
    uow.commit()
    return out


@router.get("/dependants")
def my_dependants(principal: Caller, uow: Uow) -> list[PersonOut]:
    if principal.person_id is None:
        return []
    return [person_out(p) for p in uow.people.dependants(principal.person_id)]


@router.post("/dependants", status_code=202)
def add_dependant(body: PersonIn, principal: Caller, uow: Uow, now: Now) -> IdentityReceiptOut:
    """Register a dependant (a child, or an elderly parent) whom the caller may enrol. The answer
    is the same whether or not the number is on file (see PUT /v1/me/person)."""
    if principal.person_id is None:
        raise NotFound("give your own identity first: PUT /v1/me/person", code="no-person")
    out = receipt_out(identity.give_dependant(uow, principal, details(body), now))
    uow.commit()
    return out
