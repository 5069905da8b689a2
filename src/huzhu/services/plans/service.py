"""Installing plans and publishing new versions of their rules."""

from __future__ import annotations

from datetime import datetime

from huzhu.domain.errors import Conflict, InvalidInput
from huzhu.domain.plans import Plan
from huzhu.plans.loader import TEMPLATE_IDS, load_plan_text, template_text
from huzhu.services.record import public_record
from huzhu.storage.repositories.plans.repository import digest
from huzhu.storage.uow import UnitOfWork


def publish(
    uow: UnitOfWork,
    document: str,
    now: datetime,
    *,
    source: str = "plan file",
    accept_fee_rise: bool = False,
) -> Plan:
    """Add a plan, or a new version of one. A version is never replaced, only followed.

    Members must see every rule change and why: a new version needs a `changes` note, and a higher
    management fee is published only when the operator says so (`accept_fee_rise`)."""
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
        if not (plan.changes or "").strip():
            raise InvalidInput(
                f"{plan.id} version {plan.version}: say what changed and why in `changes`; "
                "members see it beside the rules",
                code="plan-changes-missing",
                field="changes",
            )
        if plan.management_fee_bp > previous.management_fee_bp and not accept_fee_rise:
            raise InvalidInput(
                f"{plan.id} version {plan.version} raises the management fee from "
                f"{previous.management_fee_bp / 100:g}% to {plan.management_fee_bp / 100:g}% of "
                "payouts; publish it only on purpose (--accept-fee-rise)",
                code="plan-fee-rise",
                field="management_fee_bp",
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
