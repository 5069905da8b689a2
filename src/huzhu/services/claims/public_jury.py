"""Public votes (Xiang Hu Bao): any member who may sit votes once on an appealed case.

Nobody is drawn. A member who passed the juror test, has been a member for the plan's
`juror_min_member_days` and is not the claimant (nor their guardian or dependant) puts in one
ballot before the deadline; the ballots stay sealed, and no count of them is shown, until the
close. The close needs the deadline: anyone may still vote until then. The quorum is the number of
valid votes a case needs, the threshold the percentage in favour that overturns the rejection.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from huzhu.domain import jury as rules
from huzhu.domain.claims import Claim, deadline
from huzhu.domain.errors import Conflict, Forbidden, RuleViolation, Violation
from huzhu.domain.jury import JuryMode, Vote
from huzhu.services.claims.service import claimant_id, current_plan
from huzhu.storage.repositories.claims.juries import Jury
from huzhu.storage.uow import UnitOfWork


def may_vote(uow: UnitOfWork, claim: Claim, person_id: int, at: datetime) -> bool:
    plan = current_plan(uow, claim, at)
    claimant = uow.people.get(claimant_id(uow, claim))
    assert claimant.id is not None
    days = plan.claims.juror_min_member_days
    found = uow.juries.candidates(plan.id, at - timedelta(days=days), at, person_id=person_id)
    return any(
        rules.may_sit(
            c,
            claimant_id=claimant.id,
            claimant_guardian=claimant.guardian_id,
            now=at,
            min_member_days=days,
        )
        for c in found
    )


def open_vote(uow: UnitOfWork, claim: Claim, pool: list[int], by: str, now: datetime) -> Jury:
    """Open the public vote of an appealed claim. The eligible count and digest are published
    as for a drawn jury; there is no seed, since nobody is drawn."""
    assert claim.id is not None
    plan = current_plan(uow, claim, now)
    quorum = plan.claims.jury_quorum
    if len(pool) < quorum:
        text = f"{len(pool)} member(s) may vote; a case needs {quorum} votes"
        raise RuleViolation([Violation("not-enough-jurors", text)])
    return uow.juries.add(
        claim_id=claim.id,
        seed="",
        size=0,
        quorum=quorum,
        eligible_count=len(pool),
        eligible_digest=rules.eligible_digest(pool),
        drawn_by=by,
        drawn_at=now,
        deadline=deadline(now, plan.claims.jury_days),
        mode=JuryMode.PUBLIC.value,
        threshold_percent=plan.claims.jury_threshold_percent,
    )


def cast(uow: UnitOfWork, jury_id: int, person_id: int, choice: Vote, now: datetime) -> None:
    """One ballot per member per case: a second, even at the same moment, is refused (409)."""
    # Held against the close (FOR SHARE): ballots go in side by side, never after the count.
    jury = uow.juries.get(jury_id, share=True)
    if not jury.is_open:
        raise Conflict("this vote has closed", code="jury-closed")
    if now > jury.deadline:
        raise RuleViolation(
            [Violation("vote-deadline-passed", f"the vote ran until {jury.deadline.isoformat()}")]
        )
    if uow.juries.has_ballot(jury_id, person_id):
        raise Conflict("you have already voted on this case", code="already-voted")
    if not may_vote(uow, uow.claims.get(jury.claim_id), person_id, now):
        raise Forbidden(
            "only members who passed the juror test, have been members long enough and are not "
            "the claimant's family may vote",
            code="not-a-juror",
        )
    if not uow.juries.cast(jury_id, person_id, choice, now):
        raise Conflict("you have already voted on this case", code="already-voted")


def count(uow: UnitOfWork, jury: Jury, now: datetime) -> rules.Tally:
    """Unseal a public vote, at its deadline only (until then anyone may still vote)."""
    if now < jury.deadline:
        raise Conflict(
            f"members may vote until {jury.deadline.isoformat()}", code="jury-still-voting"
        )
    overturn, uphold = uow.juries.unseal_ballots(jury.id)
    return rules.count(overturn, uphold, jury.quorum, jury.threshold_percent)


def open_to(uow: UnitOfWork, person_id: int, now: datetime) -> list[tuple[Jury, bool]]:
    """The open public votes this member may vote in, each with whether they already have."""
    found = []
    for jury in uow.juries.open_public():
        if now <= jury.deadline and may_vote(uow, uow.claims.get(jury.claim_id), person_id, now):
            found.append((jury, uow.juries.has_ballot(jury.id, person_id)))
    return found
