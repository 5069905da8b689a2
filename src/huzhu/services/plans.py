"""Installing plans and publishing new versions of their rules."""

from __future__ import annotations

from datetime import datetime

from huzhu.domain.errors import Conflict, InvalidInput
from huzhu.domain.plans import Plan
from huzhu.plans.loader import TEMPLATE_IDS, load_plan_text, template_text
from huzhu.services import public_record
from huzhu.storage.repositories.plans import digest
from huzhu.storage.uow import UnitOfWork


def publish(uow: UnitOfWork, document: str, now: datetime, *, source: str = "plan file") -> Plan:
    """Add a plan, or a new version of one. A version is never replaced, only followed."""
    plan = load_plan_text(document, source=source)
    latest = uow.plans.latest_version(plan.id)
    if latest is not None:
        if plan.version <= latest:
            raise Conflict(
                f"{plan.id} already has version {latest}; a change needs version {latest + 1}",
                code="plan-version-exists",
                field="version",
            )
        if plan.version != latest + 1:
            raise InvalidInput(
                f"{plan.id}: next version must be {latest + 1}, got {plan.version}",
                code="plan-version-gap",
                field="version",
            )
        previous = uow.plans.get_version(plan.id, latest)
        if plan.effective_from < previous.effective_from:
            raise InvalidInput(
                f"effective_from {plan.effective_from} is before version {latest}'s",
                code="plan-effective-date",
                field="effective_from",
            )
    uow.plans.add_version(plan, document, now)
    uow.ledger.open_plan_accounts(plan.id)
    public_record.record_plan_version(uow, plan, digest(document), now)
    return plan


def install_templates(uow: UnitOfWork, now: datetime) -> list[str]:
    """Install every shipped template that is not installed yet; returns the ids added."""
    added = []
    for plan_id in TEMPLATE_IDS:
        if not uow.plans.exists(plan_id):
            publish(uow, template_text(plan_id), now, source=f"{plan_id}.toml")
            added.append(plan_id)
    return added
