"""Member lookup for operators, reviewers and auditors (the CLI's `huzhu members find | show`, and
the web console): every lookup is written to the audit log with who asked, what they asked by and
which memberships they saw. The log keeps the query masked: it says who looked at whom without
becoming a second copy of the members' identities.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from huzhu.domain.access import Principal, Role
from huzhu.domain.errors import InvalidInput, NotFound
from huzhu.domain.identity import mask_id_number, mask_name, parse_document
from huzhu.storage.repositories.members.lookup import MemberLookupRepository, MemberRecord
from huzhu.storage.uow import UnitOfWork

LOOKUP_ROLES = (Role.OPERATOR, Role.REVIEWER, Role.AUDITOR)
MAX_RESULTS = 50


@dataclass(frozen=True)
class MemberQuery:
    """Give one of id_number, name or membership; `plan` narrows any of them."""

    id_number: str | None = None
    id_type: str = "resident-id"
    name: str | None = None
    membership: int | None = None
    plan: str | None = None


def _criterion(q: MemberQuery) -> tuple[str, str]:
    given = [(k, v) for k, v in (("id_number", q.id_number), ("name", q.name)) if v]
    if q.membership is not None:
        given.append(("membership", str(q.membership)))
    if len(given) != 1:
        raise InvalidInput(
            "look a member up by exactly one of an ID number, a name or a membership id",
            code="lookup-criterion",
            field="query",
        )
    key, value = given[0]
    masked = {"id_number": mask_id_number, "name": mask_name}.get(key, str)(value)
    return key, masked


def find_members(
    uow: UnitOfWork, principal: Principal, query: MemberQuery, now: datetime
) -> list[MemberRecord]:
    """The memberships matching the query (at most MAX_RESULTS), logged as `members.find`."""
    principal.require(*LOOKUP_ROLES)
    by, masked = _criterion(query)
    document = None
    if query.id_number:
        doc = parse_document(query.id_type, query.id_number)
        document = (doc.type.value, doc.number)
    found = MemberLookupRepository(uow.conn).find(
        document=document,
        name=query.name.strip() if query.name else None,
        membership_id=query.membership,
        plan_id=query.plan,
        limit=MAX_RESULTS,
    )
    uow.audit_log.record(
        now,
        principal.account_id,
        "members.find",
        f"members:{by}",
        {
            "by": by,
            "query": masked,
            "plan": query.plan,
            "memberships": [r.membership_id for r in found],
        },
    )
    return found


def show_member(
    uow: UnitOfWork, principal: Principal, membership_id: int, now: datetime
) -> MemberRecord:
    """One membership and its person, logged as `members.show`."""
    principal.require(*LOOKUP_ROLES)
    found = MemberLookupRepository(uow.conn).find(membership_id=membership_id, limit=1)
    if not found:
        raise NotFound(
            f"no membership {membership_id}", code="unknown-membership", field="membership"
        )
    uow.audit_log.record(
        now, principal.account_id, "members.show", f"membership:{membership_id}", {}
    )
    return found[0]


def principal_for_username(uow: UnitOfWork, username: str) -> Principal:
    """The command line's caller: an existing account named by `--by`."""
    account = uow.accounts.by_username(username)
    if account is None or account.disabled_at is not None:
        raise NotFound(
            f"no active account {username!r}: create one with `huzhu accounts add`",
            code="unknown-account",
            field="by",
        )
    return Principal(account.id, account.roles, account.person_id)
