"""Public case cards: what an announcement shows, and its entry in the public record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from huzhu.domain.claims import Claim
from huzhu.domain.identity import mask_name, province_name
from huzhu.domain.plan_fields import local_date
from huzhu.plans.loader import load_catalogue
from huzhu.services.claims.payout import override_details
from huzhu.services.record import public_record
from huzhu.storage.uow import UnitOfWork


def card_of(row: Any, claim_id: int) -> dict[str, Any]:
    """What the public sees of a case: masked name, condition, age, sex, province, payout and
    days since joining."""
    condition = load_catalogue().get(row.condition_code)
    return {
        "claim_id": claim_id,
        "name": mask_name(row.name),
        "condition_code": row.condition_code,
        "condition": condition.zh,
        "condition_en": condition.en,
        "age_at_diagnosis": row.age_at_diagnosis,
        "sex": row.sex,
        "province": province_name(row.province_code) if row.province_code else None,
        "payout": row.payout,
        "days_since_joining": (row.diagnosis_date - local_date(row.joined_at)).days,
    }


def case_card(uow: UnitOfWork, claim_id: int) -> dict[str, Any]:
    card = card_of(uow.workflow.card_row(claim_id), claim_id)
    del card["condition_en"]  # the public record keeps the card as it was first published
    return card


def round_cards(uow: UnitOfWork, round_id: int) -> list[dict[str, Any]]:
    """The masked cards of a round's cases."""
    return [card_of(row, row.id) for row in uow.rounds.public_cases(round_id)]


def announced_cards(
    uow: UnitOfWork, plan_id: str | None, now: datetime, limit: int, after_id: int = 0
) -> list[dict[str, Any]]:
    """The masked cards of cases on announcement now, with the plan and the window's end."""
    return [
        card_of(row, row.id) | {"plan_id": row.plan_id, "window_ends_at": row.window_ends_at}
        for row in uow.workflow.announced(plan_id, now, limit, after_id)
    ]


def publish_card(uow: UnitOfWork, claim: Claim, now: datetime, window_end: datetime) -> None:
    assert claim.id is not None
    payload = case_card(uow, claim.id) | {"window_end": window_end}
    # Notarisation: each evidence file's SHA-256 (never the file), so a file shown later can be
    # matched to what the case was announced on, and cannot have been swapped since.
    payload["evidence_sha256"] = [e.sha256 for e in uow.evidence.for_claim(claim.id)]
    override = override_details(uow, claim.id)
    if override is not None and override.get("payout") == claim.payout:
        # The public sees that the payout is not the plan's rule, by how much, and why.
        payload["payout_override"] = {
            "rule_payout": override.get("rule_payout"),
            "reason": override.get("reason"),
        }
    public_record.append(uow, "case-announced", f"claim:{claim.id}", payload, now)
