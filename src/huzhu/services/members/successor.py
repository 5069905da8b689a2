"""Ageing out with an offer (issue 9).

A member who reaches the exit age of a plan leaves it (reason age-out), as before. When the plan
names a successor (`eligibility.successor_plan`; Xiang Hu Bao: its senior cancer plan) the member is
also offered the successor: an inbox message, and an offer whose state (offered, accepted) anyone
holding the membership can see. Nobody is moved silently: the member joins the successor only by
accepting, and accepting goes through the normal join path, so the successor's ages, credit score
and health declaration apply and its waiting period starts on the day of joining.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from huzhu.domain.access import Principal
from huzhu.domain.errors import Conflict, Forbidden, RuleViolation, Violation
from huzhu.domain.members import LeaveReason, Lifecycle, Membership
from huzhu.gateways.base import PaymentGateway
from huzhu.services.accounts import ownership as access
from huzhu.services.events import notify_person, record
from huzhu.services.members.credit import CreditProvider
from huzhu.services.members.service import JoinRequest, JoinResult, PersonDetails, join
from huzhu.storage.uow import UnitOfWork

OFFER_KIND = "plan.successor-offer"


class OfferState(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"


@dataclass(frozen=True)
class SuccessorOffer:
    membership_id: int  # the membership that aged out
    successor_plan: str
    offered_at: datetime
    state: OfferState
    joined_membership_id: int | None = None


def age_out(uow: UnitOfWork, plan_id: str, day: date, at: datetime) -> int:
    """Everyone who reached the exit age by `day` leaves; each is offered the successor plan."""
    plan = uow.plans.get(plan_id, day)
    left = uow.memberships.age_out(plan_id, day, at)
    successor = plan.eligibility.successor_plan
    # A successor not installed here is no offer (a round must not fail for it).
    if left and successor is not None and uow.plans.exists(successor):
        params = {
            "plan_id": plan_id,
            "successor_id": successor,
            "exit_age": plan.eligibility.exit_age_years,
        }
        uow.inbox.add_for_leavers(plan_id, LeaveReason.AGE_OUT.value, at, OFFER_KIND, params)
    return left


def offer_of(uow: UnitOfWork, membership_id: int) -> SuccessorOffer | None:
    """The successor offer made when this membership aged out, with its state (None: no offer)."""
    m = uow.memberships.get(membership_id)
    if m.lifecycle is not Lifecycle.LEFT or m.leave_reason is not LeaveReason.AGE_OUT:
        return None
    assert m.left_at is not None
    successor = uow.plans.get(m.plan_id).eligibility.successor_plan
    if successor is None or not uow.plans.exists(successor):
        return None
    joined = [
        j
        for j in uow.memberships.for_person(m.person_id)
        if j.plan_id == successor and j.joined_at >= m.left_at
    ]
    if joined:
        return SuccessorOffer(m.id or 0, successor, m.left_at, OfferState.ACCEPTED, joined[0].id)
    return SuccessorOffer(m.id or 0, successor, m.left_at, OfferState.OFFERED)


def accept(
    uow: UnitOfWork,
    membership_id: int,
    health_answers: Mapping[str, bool],
    now: datetime,
    *,
    person_id: int | None = None,
    gateway: PaymentGateway | None = None,
    deposit_key: str | None = None,
    credit: CreditProvider | None = None,
) -> JoinResult:
    """Join the successor plan offered to this aged-out membership, through the normal join path.
    `person_id`, when given, must own the membership. The aged-out membership's row is held
    while deciding, so acceptances at the same moment join once and the others see it accepted."""
    m = uow.memberships.get(membership_id, lock=True)
    if person_id is not None and m.person_id != person_id:
        raise Forbidden("this membership is not yours", code="not-your-membership")
    found = offer_of(uow, membership_id)
    if found is None:
        raise RuleViolation(
            [Violation("no-successor-offer", "this membership has no plan offer", "membership")]
        )
    if found.state is OfferState.ACCEPTED:
        raise Conflict(
            f"the offer of {found.successor_plan} was already accepted",
            code="successor-offer-accepted",
            field="membership",
        )
    person = uow.people.get(m.person_id)
    details = PersonDetails(id_number=person.id_number, name=person.name, id_type=person.id_type)
    guardian = uow.people.get(person.guardian_id) if person.guardian_id else None
    request = JoinRequest(
        found.successor_plan, details, health_answers,
        guardian_id_type=guardian.id_type if guardian else None,
        guardian_id_number=guardian.id_number if guardian else None,
        deposit_key=deposit_key,
    )  # fmt: skip
    return join(uow, request, now, credit=credit, gateway=gateway)


def accept_as(
    uow: UnitOfWork,
    principal: Principal,
    membership_id: int,
    health_answers: Mapping[str, bool],
    now: datetime,
    *,
    gateway: PaymentGateway | None = None,
    deposit_key: str | None = None,
    credit: CreditProvider | None = None,
) -> Membership:
    """Accept the offer for the member who owns the aged-out membership, or as their guardian.
    Another member's membership answers like a missing one (404), so ids reveal nothing."""
    owned = access.membership(uow, principal, membership_id, write=True)
    assert owned.id is not None
    joined = accept(
        uow, owned.id, health_answers, now, person_id=owned.person_id, gateway=gateway,
        deposit_key=deposit_key, credit=credit,
    )  # fmt: skip
    m = uow.memberships.get(joined.membership_id)
    details = {"plan_id": joined.plan_id, "membership_id": m.id, "aged_out": owned.id}
    record(uow, principal.account_id, "membership.joined", f"membership:{m.id}", details, now)
    notify_person(uow, m.person_id, "member.joined", details, now)
    return m
