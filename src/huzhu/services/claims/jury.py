"""Appeals and juries: a rejected claimant appeals within the plan's `appeal_days`; a jury of
eligible members is drawn from a published seed; each juror votes once before the deadline, votes
stay sealed until the close, and a quorum and a majority decide. The result and the tallies go to
the public record.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from huzhu.domain import jury as rules
from huzhu.domain.claims import Claim, ClaimState, check_appeal_open, deadline
from huzhu.domain.errors import Conflict, Forbidden, InvalidInput, RuleViolation, Violation
from huzhu.domain.jury import JurorStatus, JuryMode, JuryResult, Vote
from huzhu.services.claims import public_jury
from huzhu.services.claims.decisions import announce_case, rejected
from huzhu.services.claims.service import (
    check_no_other_payout,
    claimant_id,
    current_plan,
    hold,
    require,
    step,
)
from huzhu.services.messaging.notify import tell
from huzhu.services.record import public_record
from huzhu.storage.repositories.claims.juries import Jury
from huzhu.storage.uow import UnitOfWork

MAX_STATEMENT = 4000


def appeal(uow: UnitOfWork, claim_id: int, statement: str, by: str, now: datetime) -> Claim:
    """The claimant asks a jury to decide, before the appeal deadline."""
    statement = statement.strip()
    if not statement or len(statement) > MAX_STATEMENT:
        raise InvalidInput(
            f"say why the rejection is wrong (1 to {MAX_STATEMENT} characters)",
            code="missing-field",
            field="statement",
        )
    claim = hold(uow, claim_id)
    wf = uow.workflow.get(claim_id)
    check_appeal_open(claim.state, wf, now)
    before = claim.move(ClaimState.JURY)
    uow.claims.save_decision(claim)
    wf.appeal_until = None
    uow.workflow.save(wf)
    step(uow, claim, before, "appealed", by, now, ("claim.appealed", {}), statement=statement)
    return claim


def eligible(uow: UnitOfWork, claim: Claim, at: datetime) -> list[int]:
    """Person ids who may sit on this claim's jury, as of `at`."""
    plan = current_plan(uow, claim, at)
    person = uow.people.get(claimant_id(uow, claim))
    assert person.id is not None
    min_days = plan.claims.juror_min_member_days
    found = uow.juries.candidates(plan.id, at - timedelta(days=min_days), at)
    return [
        c.person_id
        for c in found
        if rules.may_sit(
            c,
            claimant_id=person.id,
            claimant_guardian=person.guardian_id,
            now=at,
            min_member_days=min_days,
        )
    ]


def _tell_juror(uow: UnitOfWork, person_id: int, jury: Jury, now: datetime) -> None:
    deadline_at = jury.deadline.isoformat()
    params = {"seed": jury.seed, "claim_id": jury.claim_id, "deadline_at": deadline_at}
    tell(uow, person_id, "jury.drawn", params, now, claim_id=jury.claim_id)


def draw_jury(
    uow: UnitOfWork, claim_id: int, by: str, now: datetime, seed: str | None = None
) -> Jury:
    """Draw the jury of an appealed claim. The seed (given, or fresh) is published with it."""
    claim = hold(uow, claim_id)
    require(claim, frozenset({ClaimState.JURY}), "given a jury (appeal first)")
    if any(j.is_open for j in uow.juries.for_claim(claim_id)):
        raise Conflict("this claim's jury is already sitting", code="jury-open")
    seed = (seed or rules.new_seed()).strip()
    if not 8 <= len(seed) <= 128:
        raise InvalidInput("the seed must be 8 to 128 characters", field="seed")
    plan = current_plan(uow, claim, now)
    pool = eligible(uow, claim, now)
    if plan.claims.jury_mode == JuryMode.PUBLIC.value:
        jury = public_jury.open_vote(uow, claim, pool, by, now)
        opened = ("claim.public-vote-opened", {"deadline_at": jury.deadline.isoformat()})
        step(uow, claim, claim.state, "jury-drawn", by, now, opened, jury_id=jury.id)
        return jury
    if len(pool) < plan.claims.jury_quorum:
        raise RuleViolation(
            [
                Violation(
                    "not-enough-jurors",
                    f"{len(pool)} member(s) may sit; a quorum is {plan.claims.jury_quorum}",
                )
            ]
        )
    chosen = rules.draw(seed, pool, plan.claims.jury_size)
    jury = uow.juries.add(
        claim_id=claim_id,
        seed=seed,
        size=len(chosen),
        quorum=plan.claims.jury_quorum,
        eligible_count=len(pool),
        eligible_digest=rules.eligible_digest(pool),
        drawn_by=by,
        drawn_at=now,
        deadline=deadline(now, plan.claims.jury_days),
        threshold_percent=plan.claims.jury_threshold_percent,
    )
    for seq, person_id in enumerate(chosen, start=1):
        uow.juries.seat(jury.id, person_id, seq, now)
        _tell_juror(uow, person_id, jury, now)
    params = {"jurors": len(chosen), "seed": seed, "deadline_at": jury.deadline.isoformat()}
    message = ("claim.jury-drawn", params)
    step(uow, claim, claim.state, "jury-drawn", by, now, message, jury_id=jury.id, seed=seed)
    return jury


def _open_jury(uow: UnitOfWork, jury_id: int, person_id: int, now: datetime) -> Jury:
    # The jury's row is held: a vote or a decline never lands after the count (see close_jury).
    jury = uow.juries.get(jury_id, lock=True)
    seat = uow.juries.juror(jury_id, person_id)
    if seat is None:
        raise Forbidden("you were not drawn for this jury", code="not-a-juror")
    if not jury.is_open:
        raise Conflict("this jury has closed", code="jury-closed")
    if now > jury.deadline:
        raise RuleViolation(
            [Violation("vote-deadline-passed", f"the jury sat until {jury.deadline.isoformat()}")]
        )
    if seat.status is not JurorStatus.DRAWN:
        code = "already-voted" if seat.status is JurorStatus.VOTED else "juror-declined"
        raise Conflict(f"you have already {seat.status.value}", code=code)
    return jury


def vote(uow: UnitOfWork, jury_id: int, person_id: int, choice: Vote, now: datetime) -> None:
    """A drawn juror votes once, before the deadline (in a public vote, any member who may sit).
    The vote stays sealed until the close."""
    if uow.juries.get(jury_id).mode is JuryMode.PUBLIC:
        public_jury.cast(uow, jury_id, person_id, choice, now)
        return
    _open_jury(uow, jury_id, person_id, now)
    if not uow.juries.respond(jury_id, person_id, JurorStatus.VOTED, choice, now):
        raise Conflict("you have already voted", code="already-voted")


def decline(uow: UnitOfWork, jury_id: int, person_id: int, now: datetime) -> int | None:
    """A juror declines; the next eligible person in the seed's order replaces them (from the
    eligible list as of the draw, still eligible now). Returns the replacement, if any."""
    if uow.juries.get(jury_id).mode is JuryMode.PUBLIC:
        raise Forbidden(
            "nobody is drawn for a public vote: there is no seat to decline", code="not-a-juror"
        )
    jury = _open_jury(uow, jury_id, person_id, now)
    if not uow.juries.respond(jury_id, person_id, JurorStatus.DECLINED, None, now):
        raise Conflict("you have already answered", code="already-voted")
    claim = uow.claims.get(jury.claim_id)
    seats = uow.juries.seats(jury_id)
    still = set(eligible(uow, claim, now))
    pool = [p for p in eligible(uow, claim, jury.drawn_at) if p in still]
    found = rules.draw(jury.seed, pool, 1, skip=[s.person_id for s in seats])
    if not found:
        return None
    uow.juries.seat(jury_id, found[0], max(s.seq for s in seats) + 1, now)
    _tell_juror(uow, found[0], jury, now)
    return found[0]


def close_jury(uow: UnitOfWork, jury_id: int, by: str, now: datetime) -> Jury:
    """Unseal and count. Allowed at the deadline, or earlier once every juror has answered."""
    # The claim's rows first (as every claim step takes them), then the jury's.
    hold(uow, uow.juries.get(jury_id).claim_id)
    jury = uow.juries.get(jury_id, lock=True)
    if not jury.is_open:
        raise Conflict("this jury has closed", code="jury-closed")
    seats = uow.juries.seats(jury_id)
    waiting = sum(s.status is JurorStatus.DRAWN for s in seats)
    if jury.mode is JuryMode.PUBLIC:
        t = public_jury.count(uow, jury, now)
    elif waiting and now < jury.deadline:
        raise Conflict(
            f"{waiting} juror(s) may still vote until {jury.deadline.isoformat()}",
            code="jury-still-voting",
        )
    else:
        t = rules.tally(uow.juries.unseal(jury_id), jury.quorum, jury.threshold_percent)
    uow.juries.close(jury_id, now, t.result, t.overturn, t.uphold)
    payload = {
        "claim_id": jury.claim_id,
        "jury_id": jury_id,
        "mode": jury.mode.value,
        "seed": jury.seed or None,
        "eligible_count": jury.eligible_count,
        "eligible_digest": jury.eligible_digest,
        # A public vote seats nobody: its jurors are the members who voted.
        "jurors": sum(s.status is not JurorStatus.DECLINED for s in seats) or t.cast,
        "declined": sum(s.status is JurorStatus.DECLINED for s in seats),
        "votes_cast": t.cast,
        "overturn": t.overturn,
        "uphold": t.uphold,
        "quorum": t.quorum,
        "threshold_percent": t.threshold_percent,
        "result": t.result.value,
    }
    public_record.append(uow, public_record.JURY_RESULT, f"claim:{jury.claim_id}", payload, now)
    _apply(uow, jury, t, f"jury:{jury_id}", now)
    for s in seats:
        if s.status is not JurorStatus.DECLINED:
            params = {"claim_id": jury.claim_id, "result_code": t.result.value,
                      "overturn": t.overturn, "uphold": t.uphold}  # fmt: skip
            tell(uow, s.person_id, "jury.result", params, now, claim_id=jury.claim_id)
    return uow.juries.get(jury_id)


def _apply(uow: UnitOfWork, jury: Jury, t: rules.Tally, by: str, now: datetime) -> None:
    claim = uow.claims.get(jury.claim_id, lock=True)
    counts = f"{t.overturn} to overturn, {t.uphold} to uphold, quorum {t.quorum}"
    if t.result is JuryResult.NO_QUORUM:
        tally = {"overturn": t.overturn, "uphold": t.uphold, "quorum": t.quorum}
        message = ("claim.jury-no-quorum", tally)
        step(uow, claim, claim.state, "jury-no-quorum", by, now, message, jury_id=jury.id)
        return
    wf = uow.workflow.get(jury.claim_id)
    wf.jury_decided = True
    uow.workflow.save(wf)
    plan = current_plan(uow, claim, now)
    if t.result is JuryResult.UPHELD:
        before, words = claim.state, claim.reason_text or ""
        text = f"{claim.reason_text} — upheld by jury {jury.id} ({counts})"
        claim.decide(
            ClaimState.REJECTED, by=by, at=now, reason_code=claim.reason_code, reason_text=text
        )
        uow.claims.save_decision(claim)
        rejected(uow, claim, before, plan, by, now, words=words)
        return
    step(uow, claim, claim.state, "jury-overturned", by, now, None, jury_id=jury.id)
    if claim.payout is None:
        before = claim.state
        claim.decide(
            ClaimState.UNDER_INVESTIGATION,
            by=by,
            at=now,
            reason_code="jury-overturned",
            reason_text=f"the jury overturned the rejection ({counts}); a payout is to be set",
        )
        uow.claims.save_decision(claim)
        step(uow, claim, before, "reopened", by, now, ("claim.jury-overturned", {}))
        return
    check_no_other_payout(uow, claim)
    announce_case(uow, claim, plan, by, now)


def take_test(
    uow: UnitOfWork, person_id: int, answers: dict[str, str], now: datetime
) -> tuple[int, bool]:
    """Grade the juror test; a pass is kept (a later fail does not undo it)."""
    score, passed = rules.grade(answers)
    uow.juries.record_test(person_id, score, passed, now)
    return score, passed
