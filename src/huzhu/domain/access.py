"""Who may do what. Every endpoint asks one of these questions before it touches data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from huzhu.domain.errors import Forbidden


class Role(StrEnum):
    MEMBER = "member"
    REVIEWER = "reviewer"
    OPERATOR = "operator"
    AUDITOR = "auditor"


@dataclass(frozen=True)
class Principal:
    """The signed-in caller."""

    account_id: int
    roles: frozenset[Role]
    person_id: int | None = None
    host_app_id: int | None = None
    session_id: int | None = None

    def has(self, *roles: Role) -> bool:
        return any(r in self.roles for r in roles)

    def require(self, *roles: Role) -> None:
        if not self.has(*roles):
            needed = " or ".join(r.value for r in roles)
            raise Forbidden(f"this needs the {needed} role", code="role-required")

    @property
    def sees_everything(self) -> bool:
        """Operators and auditors read every member's data; auditors only read."""
        return self.has(Role.OPERATOR, Role.AUDITOR)


def may_act_for(principal: Principal, person_id: int, guardian_id: int | None) -> bool:
    """A member acts for themselves and for the dependants they enrolled."""
    if principal.person_id is None:
        return False
    return person_id == principal.person_id or guardian_id == principal.person_id


def check_may_decide(principal: Principal, claimant_id: int, claimant_guardian: int | None) -> None:
    """Reviewers decide claims, but never their own or those of dependants they enrolled."""
    principal.require(Role.REVIEWER)
    me = principal.person_id
    if me is not None and me in (claimant_id, claimant_guardian):
        raise Forbidden(
            "a reviewer cannot decide their own claim or a dependant's", code="conflict-of-interest"
        )
