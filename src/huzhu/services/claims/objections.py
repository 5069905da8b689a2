"""Objections to announced cases: any member of the plan may object during the window; each one is
reviewed. An upheld objection rejects the claim (reason `objection-upheld`, appealable unless a jury
already ruled on it); a dismissed one does not stop the claim becoming final."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from huzhu.domain.claims import ClaimState, check_objection_open, rule_quote
from huzhu.domain.errors import Conflict, InvalidInput, RuleViolation, Violation
from huzhu.services.claims.decisions import rejected
from huzhu.services.claims.service import claimant_id, current_plan, hold, require, step
from huzhu.services.messaging.notify import tell
from huzhu.storage.repositories.claims.review import Objection, ObjectionStatus
from huzhu.storage.uow import UnitOfWork

MAX_TEXT = 2000


class Outcome(StrEnum):
    UPHOLD = "uphold"
    DISMISS = "dismiss"


def _text(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"the {field} is empty", code="missing-field", field=field)
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"the {field} is over {MAX_TEXT} characters", field=field)
    return value


def object_to(
    uow: UnitOfWork, claim_id: int, person_id: int, reason: str, now: datetime
) -> Objection:
    """A member of the plan objects to an announced case, with a reason, before the window
    closes. The claimant sees the reason, never who objected."""
    reason = _text(reason, "reason")
    claim = hold(uow, claim_id)  # so that the window cannot close under a new objection
    check_objection_open(claim.state, uow.workflow.get(claim_id), now)
    if uow.memberships.live(claim.plan_id, person_id) is None:
        raise RuleViolation(
            [Violation("not-a-member", f"only members of {claim.plan_id} may object", "person")]
        )
    if person_id == claimant_id(uow, claim):
        raise RuleViolation([Violation("own-claim", "you cannot object to your own claim")])
    if uow.objections.by(claim_id, person_id) is not None:
        raise Conflict("you have already objected to this case", code="already-objected")
    objection = uow.objections.add(claim_id, person_id, reason, now)
    message = ("claim.objection", {"reason": reason})
    step(uow, claim, claim.state, "objection", "member", now, message, objection_id=objection.id)
    return objection


def review(
    uow: UnitOfWork, objection_id: int, outcome: Outcome, note: str, by: str, now: datetime
) -> Objection:
    note = _text(note, "explanation")
    # Every review of an objection to this claim holds the claim first: the objection's status
    # read after it is the latest.
    hold(uow, uow.objections.get(objection_id).claim_id)
    objection = uow.objections.get(objection_id)
    if objection.status is not ObjectionStatus.PENDING:
        raise Conflict(
            f"this objection was already {objection.status.value}", code="objection-reviewed"
        )
    claim = uow.claims.get(objection.claim_id)
    require(claim, frozenset({ClaimState.ANNOUNCED}), "the subject of an objection review")
    status = ObjectionStatus.UPHELD if outcome is Outcome.UPHOLD else ObjectionStatus.DISMISSED
    uow.objections.review(objection_id, status, by, note, now)
    tell(
        uow,
        objection.person_id,
        "objection.reviewed",
        {"claim_id": claim.id, "outcome_code": f"objection-outcome-{status.value}", "note": note},
        now,
        claim_id=claim.id,
    )
    if status is ObjectionStatus.DISMISSED:
        details = {"objection_id": objection_id}
        step(uow, claim, claim.state, "objection-dismissed", by, now, None, **details)
    else:
        plan = current_plan(uow, claim, now)
        before = claim.state
        text = f"{note} — rule: {rule_quote(plan, 'objection-upheld')}"
        claim.decide(
            ClaimState.REJECTED, by=by, at=now, reason_code="objection-upheld", reason_text=text
        )
        uow.claims.save_decision(claim)
        rejected(uow, claim, before, plan, by, now, words=note)
    return uow.objections.get(objection_id)
