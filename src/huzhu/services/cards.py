"""Public case cards: what an announcement shows, and its entry in the public record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from huzhu.domain.claims import Claim
from huzhu.domain.identity import mask_name, province_name
from huzhu.domain.plans import local_date
from huzhu.plans.loader import load_catalogue
from huzhu.services import public_record
from huzhu.services.claim_payout import override_details
from huzhu.storage.uow import UnitOfWork


def case_card(uow: UnitOfWork, claim_id: int) -> dict[str, Any]:
    """What the public sees of a case: masked name, condition, age, sex, province, payout and
    days since joining."""
    row: Any = uow.workflow.card_row(claim_id)
    return {
        "claim_id": claim_id,
        "name": mask_name(row.name),
        "condition_code": row.condition_code,
        "condition": load_catalogue().get(row.condition_code).zh,
        "age_at_diagnosis": row.age_at_diagnosis,
        "sex": row.sex,
        "province": province_name(row.province_code) if row.province_code else None,
        "payout": row.payout,
        "days_since_joining": (row.diagnosis_date - local_date(row.joined_at)).days,
    }


def publish_card(uow: UnitOfWork, claim: Claim, now: datetime, window_end: datetime) -> None:
    assert claim.id is not None
    payload = case_card(uow, claim.id) | {"window_end": window_end}
    override = override_details(uow, claim.id)
    if override is not None and override.get("payout") == claim.payout:
        # The public sees that the payout is not the plan's rule, by how much, and why.
        payload["payout_override"] = {
            "rule_payout": override.get("rule_payout"),
            "reason": override.get("reason"),
        }
    public_record.append(uow, "case-announced", f"claim:{claim.id}", payload, now)
