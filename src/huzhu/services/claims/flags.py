"""Gathering what the fraud signals look at, for the reviewers' view of a claim and their queue.

A page of claims is gathered in a fixed number of queries (its memberships, then one query per
signal for all of its claims), so the queue costs the same whether it lists one claim or fifty.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from huzhu.domain import fraud
from huzhu.domain.claims import Claim
from huzhu.domain.plans import Plan
from huzhu.plans.loader import load_catalogue
from huzhu.storage.repositories.claims.signals import ClaimSignalsRepository
from huzhu.storage.uow import UnitOfWork


def claim_flags(uow: UnitOfWork, claim_id: int) -> list[fraud.Flag]:
    return flags_of(uow, [uow.claims.get(claim_id)])[claim_id]


def flags_of(uow: UnitOfWork, found: Sequence[Claim]) -> dict[int, list[fraud.Flag]]:
    """Each claim's flags by claim id."""
    held = uow.memberships.many(sorted({c.membership_id for c in found}))
    around = ClaimSignalsRepository(uow.conn).around(found, fraud.CLUSTER_DAYS)
    catalogue = load_catalogue()
    rules = _rules_in_force(uow, found)
    out: dict[int, list[fraud.Flag]] = {}
    for claim in found:
        assert claim.id is not None
        plan = rules(claim)
        category = catalogue.get(claim.condition_code).category
        near = around[claim.id]
        facts = fraud.Facts(
            diagnosis_date=claim.diagnosis_date,
            cover_started=held[claim.membership_id].cover_starts(plan, category),
            hospital=claim.hospital,
            early_days=plan.claims.early_claim_days,
            reused_evidence=near.reused_evidence,
            other_plan_claims=near.other_plan_claims,
            same_hospital=near.same_hospital,
            same_day=near.same_day,
        )
        out[claim.id] = fraud.flags(facts)
    return out


def _rules_in_force(uow: UnitOfWork, found: Sequence[Claim]) -> Callable[[Claim], Plan]:
    """Each claim's rules: the plan's version in force on its diagnosis date (what
    `plans.get(plan, date)` answers), from one read of each plan's versions."""
    history = {plan_id: uow.plans.history(plan_id) for plan_id in {c.plan_id for c in found}}
    parsed: dict[tuple[str, int], Plan] = {}

    def rules(claim: Claim) -> Plan:
        in_force = [v for v in history[claim.plan_id] if v.effective_from <= claim.diagnosis_date]
        if not in_force:
            return uow.plans.get(claim.plan_id, claim.diagnosis_date)  # its own refusal
        key = (claim.plan_id, max(v.version for v in in_force))
        if key not in parsed:
            parsed[key] = uow.plans.get_version(*key)
        return parsed[key]

    return rules
