"""Giving an identity without learning whether its ID number is on file (issue 10 §4).

An account that gives its own ID number, or a dependant's, is answered the same whether or not
the number is already registered: the same receipt, built only from what it sent, after the same
work (one look-up, one row written). A new number is registered and linked at once. A number on
file is never handed to whoever quotes it: the claim is held as an identity check, nothing is
linked (so nobody joins or is covered with it), and the operator decides it after a real-name
check (`huzhu members identity-checks`). The outcome reaches the caller out of band, in the inbox
once decided, and the person on file is told that their number was given, without the caller's
details.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from huzhu.domain.access import Principal
from huzhu.domain.errors import Conflict, HuzhuError, NotFound
from huzhu.domain.identity import IdentityDocument, parse_document
from huzhu.domain.members import Person
from huzhu.domain.plan_fields import local_date
from huzhu.services.events import record
from huzhu.services.members import service as svc
from huzhu.storage.repositories.members.identity_checks import IdentityCheck
from huzhu.storage.uow import UnitOfWork

SELF, DEPENDANT = "self", "dependant"


@dataclass(frozen=True)
class IdentityReceipt:
    """What the caller sent, as read from the document: never anything from the database."""

    id_type: str
    id_number: str
    name: str
    birth_date: date
    sex: str
    state: str = "received"


def _document(details: svc.PersonDetails, now: datetime) -> IdentityDocument:
    return parse_document(
        details.id_type,
        details.id_number,
        birth_date=details.birth_date,
        sex=details.sex,
        today=local_date(now),
    )


def _receipt(doc: IdentityDocument, details: svc.PersonDetails) -> IdentityReceipt:
    name = details.name.strip()
    return IdentityReceipt(doc.type.value, doc.number, name, doc.birth_date, doc.sex.value)


def _hold(
    uow: UnitOfWork, account_id: int, kind: str, on_file: Person, name: str, now: datetime
) -> None:
    assert on_file.id is not None
    check_id = uow.identity_checks.add(account_id, kind, on_file.id, name.strip(), now)
    record(uow, account_id, "identity.held", f"identity-check:{check_id}", {"kind": kind}, now)
    uow.inbox.add(on_file.guardian_id or on_file.id, None, "identity.given", {}, now)


def give_identity(
    uow: UnitOfWork, principal: Principal, details: svc.PersonDetails, now: datetime
) -> IdentityReceipt:
    """Attach an identity to the caller's account, once (a held one counts)."""
    if principal.person_id is not None or uow.identity_checks.pending(principal.account_id, SELF):
        raise Conflict("this account already has its identity", code="person-already-set")
    doc = _document(details, now)
    on_file = uow.people.by_document(doc.type.value, doc.number)
    if on_file is None:
        person = svc.find_or_register(uow, details, now)
        assert person.id is not None
        uow.accounts.link_person(principal.account_id, person.id)
        record(uow, principal.account_id, "person.linked", f"person:{person.id}", {}, now)
    else:
        _hold(uow, principal.account_id, SELF, on_file, details.name, now)
    return _receipt(doc, details)


def hold_if_on_file(
    uow: UnitOfWork, principal: Principal, details: svc.PersonDetails, now: datetime
) -> bool:
    """For a join that gives the caller's identity inline: a number on file is held exactly as
    `give_identity` holds it (the account has then given its identity, so each such attempt
    costs an account and is in the operator's queue). True if held: the caller commits, then
    refuses the join with `identity-pending`. Anything else is left to the join to answer."""
    if principal.person_id is not None or uow.identity_checks.pending(principal.account_id, SELF):
        return False
    try:
        doc = _document(details, now)
    except HuzhuError:
        return False
    on_file = uow.people.by_document(doc.type.value, doc.number)
    if on_file is None:
        return False
    _hold(uow, principal.account_id, SELF, on_file, details.name, now)
    return True


def held() -> Conflict:
    return Conflict(
        "your identity waits for the operator's real-name check; you can join once it is confirmed",
        code="identity-pending",
        field="id_number",
    )


def give_dependant(
    uow: UnitOfWork, principal: Principal, details: svc.PersonDetails, now: datetime
) -> IdentityReceipt:
    """Register a dependant whom the caller may enrol; adding one already theirs changes nothing."""
    if principal.person_id is None:
        raise NotFound("give your own identity first", code="no-person")
    doc = _document(details, now)
    on_file = uow.people.by_document(doc.type.value, doc.number)
    if on_file is None:
        person = svc.find_or_register(uow, details, now)
        assert person.id is not None
        uow.people.set_guardian(person.id, principal.person_id)
        record(uow, principal.account_id, "dependant.added", f"person:{person.id}", {}, now)
    elif on_file.guardian_id != principal.person_id and on_file.id != principal.person_id:
        assert on_file.id is not None
        held = uow.identity_checks.pending(principal.account_id, DEPENDANT, on_file.id)
        if not held:
            _hold(uow, principal.account_id, DEPENDANT, on_file, details.name, now)
    return _receipt(doc, details)


def resolve(
    uow: UnitOfWork, check_id: int, confirm: bool, actor: int | None, now: datetime
) -> IdentityCheck:
    """The operator's decision after a real-name check: link the identity, or refuse it."""
    check = uow.identity_checks.get(check_id, lock=True)
    if check.state != "pending":
        raise Conflict(f"identity check {check_id} is already {check.state}", code="check-state")
    account = uow.accounts.get(check.account_id)
    if confirm and check.kind == SELF:
        if account.person_id is not None or uow.accounts.by_person(check.person_id) is not None:
            raise Conflict("that identity already belongs to an account", code="person-has-account")
        uow.accounts.link_person(check.account_id, check.person_id)
    elif confirm:
        if account.person_id is None:
            raise Conflict("the guardian's account has no identity", code="no-person")
        uow.people.set_guardian(check.person_id, account.person_id)
    state = "confirmed" if confirm else "refused"
    uow.identity_checks.resolve(check_id, state, actor, now)
    record(uow, actor, f"identity.{state}", f"identity-check:{check_id}", {}, now)
    told = check.person_id if confirm and check.kind == SELF else account.person_id
    if told is not None:
        uow.inbox.add(told, None, f"identity.{state}", {}, now)
    return uow.identity_checks.get(check_id)
