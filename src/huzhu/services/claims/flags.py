"""Gathering what the fraud signals look at, for the reviewers' view of a claim."""

from __future__ import annotations

from huzhu.domain import fraud
from huzhu.plans.loader import load_catalogue
from huzhu.storage.uow import UnitOfWork


def claim_flags(uow: UnitOfWork, claim_id: int) -> list[fraud.Flag]:
    claim = uow.claims.get(claim_id)
    membership = uow.memberships.get(claim.membership_id)
    plan = uow.plans.get(claim.plan_id, claim.diagnosis_date)
    category = load_catalogue().get(claim.condition_code).category
    same_hospital, same_day = uow.claims.nearby(claim, fraud.CLUSTER_DAYS)
    facts = fraud.Facts(
        diagnosis_date=claim.diagnosis_date,
        cover_started=membership.cover_starts(plan, category),
        hospital=claim.hospital,
        early_days=plan.claims.early_claim_days,
        reused_evidence=uow.evidence.reused(claim_id),
        other_plan_claims=uow.claims.other_plan_claims(membership.person_id, claim.plan_id),
        same_hospital=same_hospital,
        same_day=same_day,
    )
    return fraud.flags(facts)
