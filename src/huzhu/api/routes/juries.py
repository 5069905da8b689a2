"""Appeals, juries, votes and the juror test."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from huzhu.api.deps import Caller, Now, Uow
from huzhu.api.params import ClaimId, ItemId
from huzhu.api.problems import ERROR_RESPONSES
from huzhu.api.schemas_claims import (
    AppealIn,
    ClaimOut,
    DrawJuryIn,
    JurorTestIn,
    JurorTestOut,
    JurorTestResultOut,
    JuryDutyOut,
    JuryOut,
    QuestionOut,
    VoteIn,
)
from huzhu.api.views import claim_out
from huzhu.domain.access import Principal, Role
from huzhu.domain.errors import Forbidden, NotFound
from huzhu.domain.jury import QUESTIONS, JurorStatus, Vote
from huzhu.services.claims import access
from huzhu.services.claims import jury as svc
from huzhu.services.claims.cards import case_card
from huzhu.storage.repositories.claims.juries import Jury
from huzhu.storage.uow import UnitOfWork

router = APIRouter(tags=["juries"], responses=ERROR_RESPONSES)


def jury_out(uow: UnitOfWork, jury: Jury) -> JuryOut:
    """The public facts of a jury; the result and the tallies only once it has closed."""
    seats = uow.juries.seats(jury.id)
    declined = sum(s.status is JurorStatus.DECLINED for s in seats)
    out = JuryOut(
        id=jury.id,
        claim_id=jury.claim_id,
        seed=jury.seed,
        quorum=jury.quorum,
        eligible_count=jury.eligible_count,
        eligible_digest=jury.eligible_digest,
        drawn_at=jury.drawn_at,
        deadline=jury.deadline,
        status=jury.status,
        jurors=len(seats) - declined,
        declined=declined,
        mode=jury.mode.value,
        threshold_percent=jury.threshold_percent,
    )
    if not jury.is_open:
        out.closed_at = jury.closed_at
        out.result = jury.result.value if jury.result else None
        out.overturn, out.uphold = jury.overturn, jury.uphold
    return out


def _jury(uow: UnitOfWork, jury_id: int) -> Jury:
    try:
        return uow.juries.get(jury_id)
    except NotFound:
        raise access.hidden("jury", jury_id) from None


def _juror_person(principal: Principal) -> int:
    if principal.person_id is None:
        raise Forbidden("you were not drawn for this jury", code="not-a-juror")
    return principal.person_id


@router.post("/v1/claims/{claim_id}/appeal")
def appeal(claim_id: ClaimId, body: AppealIn, principal: Caller, uow: Uow, now: Now) -> ClaimOut:
    """Appeal a rejection to a jury of members, before the appeal deadline (the claimant)."""
    access.own_claim(uow, principal, claim_id)
    claim = svc.appeal(uow, claim_id, body.statement, access.actor(principal), now)
    access.log(uow, principal, claim, "claim.appealed", now)
    out = claim_out(claim)
    uow.commit()
    return out


@router.post("/v1/claims/{claim_id}/jury", status_code=201)
def draw(claim_id: ClaimId, principal: Caller, uow: Uow, now: Now, body: DrawJuryIn) -> JuryOut:
    """Draw the jury of an appealed claim from a published seed (given, or a fresh random one)
    (reviewers, operators)."""
    access.staff(uow, principal, claim_id, Role.REVIEWER, Role.OPERATOR)
    jury = svc.draw_jury(uow, claim_id, access.actor(principal), now, body.seed)
    access.log(uow, principal, uow.claims.get(claim_id), "claim.jury_drawn", now, jury_id=jury.id)
    out = jury_out(uow, jury)
    uow.commit()
    return out


@router.get("/v1/juries/{jury_id}")
def one_jury(jury_id: ItemId, principal: Caller, uow: Uow) -> JuryOut:
    """A jury's seed, eligible count and digest, deadline and, once closed, its tallies.
    Votes stay sealed until the close."""
    return jury_out(uow, _jury(uow, jury_id))


@router.post("/v1/juries/{jury_id}/vote", status_code=204)
def vote(jury_id: ItemId, body: VoteIn, principal: Caller, uow: Uow, now: Now) -> None:
    """Vote once, before the deadline (a drawn juror; in a public vote, any member who passed the
    juror test and has been a member long enough): overturn the rejection or uphold it."""
    _jury(uow, jury_id)
    svc.vote(uow, jury_id, _juror_person(principal), Vote(body.vote), now)
    uow.commit()


@router.post("/v1/juries/{jury_id}/decline", status_code=204)
def decline(jury_id: ItemId, principal: Caller, uow: Uow, now: Now) -> None:
    """Decline the seat before voting; a replacement is drawn from the same seed."""
    _jury(uow, jury_id)
    svc.decline(uow, jury_id, _juror_person(principal), now)
    uow.commit()


@router.post("/v1/juries/{jury_id}/close")
def close(jury_id: ItemId, principal: Caller, uow: Uow, now: Now) -> JuryOut:
    """Unseal and count the votes: at the deadline, or once every juror has answered
    (reviewers, operators). The result and the tallies are published."""
    principal.require(Role.REVIEWER, Role.OPERATOR)
    jury = _jury(uow, jury_id)
    access.staff(uow, principal, jury.claim_id, Role.REVIEWER, Role.OPERATOR)
    closed = svc.close_jury(uow, jury_id, access.actor(principal), now)
    claim = uow.claims.get(jury.claim_id)
    access.log(uow, principal, claim, "claim.jury_closed", now, result=str(closed.result))
    out = jury_out(uow, closed)
    uow.commit()
    return out


@router.get("/v1/me/jury-duties")
def duties(principal: Caller, uow: Uow) -> list[JuryDutyOut]:
    """The juries you were drawn for, with the case as the jurors see it (no evidence)."""
    if principal.person_id is None:
        return []
    found = []
    for jury, seat in uow.juries.duties([principal.person_id]):
        claim = uow.claims.get(jury.claim_id)
        statements = [
            e.details.get("statement")
            for e in uow.workflow.events(jury.claim_id)
            if e.action == "appealed"
        ]
        found.append(
            JuryDutyOut(
                jury=jury_out(uow, jury),
                my_status=seat.status.value,
                case=case_card(uow, jury.claim_id),
                reason_code=claim.reason_code,
                reason_text=claim.reason_text,
                appeal_statement=statements[-1] if statements else None,
            )
        )
    return found


@router.get("/v1/juror-test")
def juror_test(principal: Caller, uow: Uow) -> JurorTestOut:
    """The short test a member passes before they can be drawn for a jury."""
    passed: datetime | None = None
    if principal.person_id is not None:
        passed = uow.juries.test_passed(principal.person_id)
    questions = [QuestionOut(id=q.id, en=q.en, zh=q.zh, options=list(q.options)) for q in QUESTIONS]
    return JurorTestOut(questions=questions, passed_at=passed)


@router.post("/v1/juror-test")
def take_test(body: JurorTestIn, principal: Caller, uow: Uow, now: Now) -> JurorTestResultOut:
    """Answer the juror test; every answer must be right to pass. A pass is kept."""
    if principal.person_id is None:
        raise NotFound("no identity yet: PUT /v1/me/person first", code="no-person")
    _score, passed = svc.take_test(uow, principal.person_id, body.answers, now)
    uow.commit()
    return JurorTestResultOut(total=len(QUESTIONS), passed=passed)
