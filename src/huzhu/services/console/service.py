"""What the operator console asks of the books: the claim queue and one claim for review, member
lookups (each written to the audit log with who asked), and a round's preview.

The console's actions themselves go through the services the API and the CLI use (claims,
investigation, objections, rounds); this module only gathers what the pages show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from huzhu.domain.access import Principal, Role
from huzhu.domain.apportionment import RoundFigures
from huzhu.domain.claims import Claim, ClaimState
from huzhu.domain.errors import InvalidInput, NotFound
from huzhu.domain.fraud import Flag
from huzhu.domain.identity import DocumentType
from huzhu.domain.members import Membership, Person
from huzhu.services.claims import access
from huzhu.services.claims.flags import claim_flags, flags_of
from huzhu.services.events import record
from huzhu.services.rounds.service import run_round
from huzhu.storage.repositories.console.repository import ConsoleRepository
from huzhu.storage.uow import UnitOfWork

LOOKUP_LIMIT = 20


def repo(uow: UnitOfWork) -> ConsoleRepository:
    return ConsoleRepository(uow.conn)


def queue_counts(uow: UnitOfWork) -> dict[str, int]:
    return repo(uow).claims_by_state()


def claim_queue(
    uow: UnitOfWork, state: ClaimState | None, after_id: int, limit: int
) -> list[tuple[Claim, list[Flag]]]:
    """A page of claims in id order, each with its fraud flags (signals, never verdicts)."""
    found = uow.claims.list(state=state, after_id=after_id, limit=limit)
    flags = flags_of(uow, found)
    return [(c, flags[c.id]) for c in found if c.id is not None]


@dataclass
class ClaimReview:
    claim: Claim
    claimant: Person
    workflow: Any
    events: list[Any]
    flags: list[Flag]
    objections: list[Any]
    juries: list[Any]
    files: list[Any] = field(default_factory=list)
    sees_evidence: bool = False
    may_decide: bool = False


def claim_review(uow: UnitOfWork, principal: Principal, claim_id: int) -> ClaimReview:
    """Everything a reviewer weighs. The evidence is listed only for those who may read it (the
    API's rule: the assigned account, operators and auditors)."""
    claim, as_staff = access.visible(uow, principal, claim_id)
    if not as_staff:
        raise access.hidden("claim", claim_id)
    claimant = uow.people.get(uow.memberships.get(claim.membership_id).person_id)
    review = ClaimReview(
        claim=claim,
        claimant=claimant,
        workflow=uow.workflow.get(claim_id),
        events=uow.workflow.events(claim_id),
        flags=claim_flags(uow, claim_id),
        objections=uow.objections.for_claim(claim_id),
        juries=uow.juries.for_claim(claim_id),
    )
    review.sees_evidence = principal.sees_everything or access.assigned(uow, principal, claim_id)
    if review.sees_evidence:
        review.files = uow.evidence.for_claim(claim_id)
    me = principal.person_id
    review.may_decide = principal.has(Role.REVIEWER) and (
        me is None or me not in (claimant.id, claimant.guardian_id)
    )
    return review


# --- members ------------------------------------------------------------------------------


@dataclass
class Found:
    person: Person
    memberships: list[Membership]


def lookup(
    uow: UnitOfWork, principal: Principal, kind: str, query: str, now: datetime
) -> list[Found]:
    """Find members by ID number, exact name or membership number; the lookup is audited with
    the actor whether or not anyone is found."""
    principal.require(Role.OPERATOR, Role.AUDITOR)
    query = query.strip()
    if not query or len(query) > 100:
        raise InvalidInput("type what to look for", code="missing-field", field="q")
    people: list[Person] = []
    if kind == "id_number":
        found = uow.people.by_document(DocumentType.RESIDENT_ID.value, query.upper())
        people = [found] if found else []
    elif kind == "name":
        people = repo(uow).people_named(query, LOOKUP_LIMIT)
    elif kind == "membership":
        if not query.isdigit() or len(query) > 18:
            raise InvalidInput("a membership number is digits", code="missing-field", field="q")
        try:
            people = [uow.people.get(uow.memberships.get(int(query)).person_id)]
        except NotFound:
            people = []
    else:
        raise InvalidInput("look up by id_number, name or membership", field="kind")
    record(
        uow, principal.account_id, "console.member_lookup", f"lookup:{kind}",
        {"kind": kind, "found": [p.id for p in people]}, now,
    )  # fmt: skip
    return [Found(p, uow.memberships.for_person(p.id)) for p in people if p.id is not None]


@dataclass
class MemberView:
    person: Person
    memberships: list[Membership]
    events: dict[int, list[Any]]
    claims: list[Claim]


def member_view(uow: UnitOfWork, principal: Principal, person_id: int, now: datetime) -> MemberView:
    """A member's memberships, their history and claims: personal data, so each view is audited."""
    principal.require(Role.OPERATOR, Role.AUDITOR)
    person = uow.people.get(person_id)
    held = uow.memberships.for_person(person_id)
    ids = [m.id for m in held if m.id is not None]
    record(uow, principal.account_id, "console.member_viewed", f"person:{person_id}", {}, now)
    return MemberView(
        person=person,
        memberships=held,
        events={i: uow.memberships.events(i) for i in ids},
        claims=uow.claims.list(membership_ids=ids, after_id=0, limit=200) if ids else [],
    )


# --- rounds -------------------------------------------------------------------------------


def preview_round(
    uow: UnitOfWork, plan_id: str, announce_date: date, now: datetime
) -> RoundFigures:
    """The round exactly as `run_round` would run it now, then undone: the figures come from the
    same code, and nothing of it stays (a savepoint rolled back)."""
    nested = uow.conn.begin_nested()
    try:
        outcome = run_round(uow, plan_id, announce_date, now)
        return outcome.round.figures
    finally:
        nested.rollback()
