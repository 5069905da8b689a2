"""The payout of a claim: the plan's rule, and the operator's override of it.

The payout is the plan's rule (its band for the age at diagnosis, the severity and, for accidental
disability, the grade), read from the plan in force on the diagnosis date. A different amount, or
one where the rule gives none, is an override: only an operator may make it, with a stated
reason; it is written to the audit log (`claim.payout-override`) and shown on the public card.
`huzhu audit` reports an announced or paid payout that differs from the rule with no such entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from huzhu.domain.claims import Claim
from huzhu.domain.errors import Forbidden, InvalidInput, RuleViolation, Violation
from huzhu.domain.money import Fen, format_yuan
from huzhu.domain.plans import Plan
from huzhu.plans.loader import load_catalogue
from huzhu.storage.uow import UnitOfWork

OVERRIDE_ACTION = "claim.payout-override"
MAX_REASON = 500


@dataclass(frozen=True)
class PayoutOverride:
    """An amount other than the rule's, who may set it, and why."""

    amount: Fen
    reason: str | None = None
    by_operator: bool = False


def rule_payout(plan: Plan, claim: Claim) -> Fen | None:
    """What the plan's rule pays for this claim (None: no band applies)."""
    condition = load_catalogue().get(claim.condition_code)
    by_grade = plan.payout.by_disability_grade and condition.code == "AC-02"
    grade = claim.disability_grade if by_grade else None
    if by_grade and (grade is None or not 1 <= grade <= 10):
        return None
    return plan.payout_for(claim.age_at_diagnosis, condition.severity, grade)


def override_details(uow: UnitOfWork, claim_id: int) -> dict[str, Any] | None:
    """The latest recorded override of this claim's payout, if any."""
    rows = uow.audit_log.page(
        after_id=0, limit=1000, action=OVERRIDE_ACTION, subject=f"claim:{claim_id}"
    )
    return dict(rows[-1].details) if rows else None


def set_payout(
    uow: UnitOfWork,
    plan: Plan,
    claim: Claim,
    override: PayoutOverride | None,
    by: str,
    now: datetime,
) -> None:
    """Give the claim the rule's payout, or an operator's override of it (audited)."""
    assert claim.id is not None
    rule = rule_payout(uow.plans.get(claim.plan_id, claim.diagnosis_date), claim)
    claim.payout = rule
    if override is not None and override.amount != rule:
        amount = override.amount
        if not 0 < amount <= plan.payout.maximum:
            raise InvalidInput(
                f"the payout must be above 0 and at most {format_yuan(plan.payout.maximum)} yuan",
                code="payout-out-of-range",
                field="payout",
            )
        if not override.by_operator:
            raise Forbidden(
                "only an operator may set a payout other than the plan's rule",
                code="payout-override-forbidden",
                field="payout",
            )
        reason = (override.reason or "").strip()
        if not reason or len(reason) > MAX_REASON:
            raise InvalidInput(
                f"say why the plan's payout is overridden (1 to {MAX_REASON} characters)",
                code="override-reason-required",
                field="reason",
            )
        details = {"claim_id": claim.id, "rule_payout": rule, "payout": amount, "reason": reason,
                   "by": by}  # fmt: skip
        uow.audit_log.record(now, _account_id(by), OVERRIDE_ACTION, f"claim:{claim.id}", details)
        claim.payout = amount
    if claim.payout is None:
        raise RuleViolation(
            [Violation("no-payout", "no payout applies under the plan's rules; give one", "payout")]
        )


def _account_id(by: str) -> int | None:
    """`account:12` names an account; a CLI operator's name does not."""
    kind, _, number = by.partition(":")
    return int(number) if kind == "account" and number.isdigit() else None
