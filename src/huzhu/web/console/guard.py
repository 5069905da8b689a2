"""Who may open which console page: decided on the server for every request.

A signed-out visitor is sent to sign in; a signed-in member without a staff role is refused
(403, the error page), whatever they type in the address bar.
"""

from __future__ import annotations

from huzhu.domain.access import Principal, Role
from huzhu.domain.msgid import N_
from huzhu.web.deps import Visit

STAFF = (Role.REVIEWER, Role.OPERATOR, Role.AUDITOR)
CLAIMS = STAFF
ROUNDS = (Role.OPERATOR, Role.AUDITOR)
MEMBERS = (Role.OPERATOR, Role.AUDITOR)  # personal data: the roles that answer members
CHECKS = (Role.OPERATOR, Role.AUDITOR)
DASHBOARD = STAFF
PLANS = (Role.OPERATOR, Role.AUDITOR)  # auditors read the rules; operators publish


def staff(visit: Visit, *roles: Role) -> Principal:
    """The signed-in caller, if they hold one of `roles` (any staff role when none given)."""
    principal = visit.member  # raises SignInFirst for a stranger
    principal.require(*(roles or STAFF))
    return principal


def sections(principal: Principal) -> list[tuple[str, str]]:
    """The console's navigation for this caller: only what they may open."""
    shown = [("/console", N_("Overview"))]
    if principal.has(*DASHBOARD):
        shown.append(("/console/dashboard", N_("Dashboard")))
    if principal.has(*CLAIMS):
        shown.append(("/console/claims", N_("Claims")))
    if principal.has(*ROUNDS):
        shown.append(("/console/rounds", N_("Rounds")))
    if principal.has(*PLANS):
        shown.append(("/console/plans", N_("Plan rules")))
    if principal.has(*MEMBERS):
        shown.append(("/console/members", N_("Members")))
    if principal.has(*CHECKS):
        shown.append(("/console/checks", N_("Checks")))
    return shown
