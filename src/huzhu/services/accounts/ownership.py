"""Ownership checks shared by the API routes and the web pages.

A resource that the caller may not see answers 404, exactly like one that does not exist, so that
guessing ids reveals nothing.
"""

from __future__ import annotations

from huzhu.domain.access import Principal, Role, may_act_for
from huzhu.domain.claims import Claim
from huzhu.domain.errors import NotFound
from huzhu.domain.members import Membership, Person
from huzhu.storage.uow import UnitOfWork


def _hidden(kind: str, id_: int) -> NotFound:
    return NotFound(f"no {kind} {id_}", code=f"unknown-{kind}", field=kind)


def person_of_membership(uow: UnitOfWork, m: Membership) -> Person:
    return uow.people.get(m.person_id)


def membership(
    uow: UnitOfWork, principal: Principal, membership_id: int, *, write: bool = False
) -> Membership:
    """A membership the caller acts for (self or dependant); operators and auditors may read."""
    try:
        m = uow.memberships.get(membership_id)
    except NotFound:
        raise _hidden("membership", membership_id) from None
    person = uow.people.get(m.person_id)
    assert person.id is not None
    if may_act_for(principal, person.id, person.guardian_id):
        return m
    if not write and principal.sees_everything:
        return m
    raise _hidden("membership", membership_id)


def claim(uow: UnitOfWork, principal: Principal, claim_id: int) -> Claim:
    try:
        c = uow.claims.get(claim_id)
    except NotFound:
        raise _hidden("claim", claim_id) from None
    if principal.sees_everything or principal.has(Role.REVIEWER):
        return c
    try:
        membership(uow, principal, c.membership_id)
    except NotFound:
        raise _hidden("claim", claim_id) from None  # answer exactly like a missing claim
    return c


def own_person_ids(uow: UnitOfWork, principal: Principal) -> list[int]:
    """The caller's person and the dependants they enrolled."""
    if principal.person_id is None:
        return []
    return [
        principal.person_id,
        *(p.id for p in uow.people.dependants(principal.person_id) if p.id),
    ]
