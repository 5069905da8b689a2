"""Plans that need members before they start (Fosun Huzhu: 300,000; `activation_threshold`).

The plan is "in preparation" until its live membership first reaches the threshold. That moment
is recorded once, in the public log (`plan-activated`), and it latches: members who leave
afterwards never put the plan back in preparation. Cover counts from the later of joining and
activation, so the waiting period of a member who joined in preparation runs from activation,
and an illness diagnosed before activation is refused (`diagnosed-before-activation`).

A join checks the count as it commits (services.members, services.enrol); a claim or a round
checks it too, so a plan filled by any other path latches at the latest then.
"""

from __future__ import annotations

from datetime import datetime

from huzhu.domain.plans import Plan
from huzhu.services.record import public_record
from huzhu.storage.uow import UnitOfWork

PLAN_ACTIVATED = "plan-activated"


def subject(plan_id: str) -> str:
    return f"plan:{plan_id}"


def activated_at(uow: UnitOfWork, plan: Plan) -> datetime | None:
    """When the plan came into force: None while in preparation. A plan without a threshold is
    in force from the start (None too: nothing to add to the waiting period)."""
    if not plan.activation_threshold:
        return None
    entry = uow.public_record.latest(PLAN_ACTIVATED, subject(plan.id))
    return entry.at if entry is not None else None


def in_preparation(uow: UnitOfWork, plan: Plan) -> bool:
    return bool(plan.activation_threshold) and activated_at(uow, plan) is None


def latch(uow: UnitOfWork, plan: Plan, now: datetime) -> datetime | None:
    """Record the activation once the live membership has reached the threshold."""
    if not plan.activation_threshold:
        return None
    done = activated_at(uow, plan)
    if done is not None:
        return done
    members = uow.memberships.count_live(plan.id)
    if members < plan.activation_threshold:
        return None
    payload = {
        "plan_id": plan.id,
        "threshold": plan.activation_threshold,
        "members": members,
        "activated_at": now,
    }
    public_record.append(uow, PLAN_ACTIVATED, subject(plan.id), payload, now)
    return now
