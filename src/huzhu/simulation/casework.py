"""Illnesses and accidents arrive, members claim, and the reviewer works through the claims.

Each month the diagnoses of the next 30 days are drawn from age-based incidence. A member claims a
few days after the diagnosis; the plan's rules refuse some at once (most often: still in the
waiting period). The reviewer takes each of the others within two days, and decides within a
week: most are approved and announced for objections, some are rejected with a reason. Now and
then a member objects to an announced case; the reviewer answers within two days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial

from huzhu.domain.claims import ClaimState
from huzhu.domain.errors import HuzhuError
from huzhu.domain.identity import age_on
from huzhu.domain.plans import Plan
from huzhu.plans.loader import load_catalogue
from huzhu.services.claims import decisions, investigation, objections, submission
from huzhu.simulation.population import annual_incidence_per_million
from huzhu.simulation.world import REVIEWER, World, beijing

REJECT_SHARE = 0.10  # of investigated claims, rejected by the reviewer
OBJECTION_SHARE = 0.10  # of announced cases, objected to by a member
UPHELD_SHARE = 0.2  # of objections, upheld
HOSPITAL = "示范医院 Demo Hospital"
NON_DISCLOSURE = (
    "non-disclosure",
    "医院病历显示，该疾病在加入前已经治疗，但健康告知时未如实申报。",
)


def codes_by_category(plan: Plan) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for c in load_catalogue().conditions.values():
        if plan.cover.covers(c):
            found.setdefault(c.category.value, []).append(c.code)
    return found


def schedule_months(w: World, plan: Plan) -> None:
    day = w.start
    while day < w.today:
        w.schedule.at(beijing(day, 7), partial(draw, w, plan, day))
        day += timedelta(days=30)


def draw(w: World, plan: Plan, first: date, _at: datetime) -> None:
    """This month's diagnoses; each becomes a claim a few days later."""
    by_category = codes_by_category(plan)
    with w.uow() as uow:
        roster = uow.memberships.roster(plan.id)
    for membership_id, birth in roster:
        if membership_id in w.protected:
            continue
        age = age_on(birth, first)
        for category, codes in by_category.items():
            rate = annual_incidence_per_million(age, category) / 1_000_000 * 30 / 365
            if w.rng.random() >= rate:
                continue
            day = first + timedelta(days=w.rng.randrange(30))
            code = w.rng.choice(codes)
            submit_at = beijing(day + timedelta(days=w.rng.randint(1, 5)), w.rng.randint(9, 20))
            w.schedule.at(submit_at, partial(submit, w, membership_id, code, day))
            break


def submit(
    w: World, membership_id: int, code: str, diagnosed: date, at: datetime, *, review: bool = True
) -> int | None:
    """Submit a claim and, when the rules do not refuse it at once and `review` is set, plan the
    reviewer's work."""
    grade = w.rng.randint(1, 10) if code == "AC-02" else None
    request = submission.ClaimRequest(
        membership_id, code, diagnosed, HOSPITAL, (f"demo-evidence-{membership_id}.pdf",), grade
    )
    try:
        with w.uow() as uow:
            claim = submission.submit(uow, request, at)
            uow.commit()
    except HuzhuError:  # e.g. the member left the plan since the diagnosis
        return None
    w.counts["claims submitted"] += 1
    assert claim.id is not None
    if review and claim.state is ClaimState.SUBMITTED:
        assign_at = at + timedelta(days=w.rng.randint(1, 2), hours=w.rng.randint(0, 3))
        w.schedule.at(assign_at, lambda then: assign(w, claim.id or 0, then, decide=True))
    return claim.id


def assign(w: World, claim_id: int, at: datetime, *, decide: bool) -> None:
    with w.uow() as uow:
        investigation.assign(uow, claim_id, w.reviewer_account, REVIEWER, at)
        uow.commit()
    if decide:
        decide_at = at + timedelta(days=w.rng.randint(3, 7))
        w.schedule.at(decide_at, lambda then: _decide(w, claim_id, then))


def _decide(w: World, claim_id: int, at: datetime) -> None:
    if w.rng.random() < REJECT_SHARE:
        reject(w, claim_id, at)
        return
    announce(w, claim_id, at)
    if w.rng.random() < OBJECTION_SHARE:
        upheld = w.rng.random() < UPHELD_SHARE
        w.schedule.at(
            at + timedelta(hours=20), lambda then: object_to(w, claim_id, then, review=upheld)
        )


def reject(w: World, claim_id: int, at: datetime) -> None:
    with w.uow() as uow:
        decisions.reject(uow, claim_id, REVIEWER, *NON_DISCLOSURE, at)
        uow.commit()


def announce(w: World, claim_id: int, at: datetime) -> None:
    try:
        with w.uow() as uow:
            decisions.approve(uow, claim_id, REVIEWER, at, announce=True)
            uow.commit()
    except HuzhuError:  # e.g. the member had another payout meanwhile
        reject(w, claim_id, at)


def object_to(w: World, claim_id: int, at: datetime, *, review: bool | None) -> int | None:
    """A member objects; `review` says whether the reviewer upholds it (None: not yet reviewed)."""
    with w.uow() as uow:
        claim = uow.claims.get(claim_id)
        roster = uow.memberships.roster(claim.plan_id)
        objector = uow.memberships.get(w.rng.choice(roster)[0]).person_id
        try:
            objection = objections.object_to(
                uow, claim_id, objector, "公示内容与我了解的情况不符。", at
            )
        except HuzhuError:  # the objector happened to be the claimant
            return None
        uow.commit()
    w.counts["objections"] += 1
    if review is not None:
        outcome = objections.Outcome.UPHOLD if review else objections.Outcome.DISMISS
        note = "已向医院核实。" if review else "病历记录证实了该案例。"
        w.schedule.at(
            at + timedelta(days=1),
            lambda then: _review(w, objection.id, outcome, note, then),
        )
    return objection.id


def _review(
    w: World, objection_id: int, outcome: objections.Outcome, note: str, at: datetime
) -> None:
    with w.uow() as uow:
        objections.review(uow, objection_id, outcome, note, REVIEWER, at)
        uow.commit()
