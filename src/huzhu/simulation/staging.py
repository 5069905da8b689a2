"""Cases staged so that, whatever the dice did, the demo ends with a claim in every state.

Anchored on the demo's `now`, the last weeks hold: a claim just submitted, one under
investigation, the demo member's own claim waiting for documents, one announced with its window
open, one announced and objected to, one rejected within its appeal window, and one whose
rejection was appealed to a jury that is sitting, with the demo member drawn (the seed is searched
for one that draws them: a seed is only a published number, and the draw stays checkable). Early
on, an accident and, once waiting periods allow, an illness are claimed, so that every plan has a
case that is paid by the end.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial

from huzhu.domain import jury as rules
from huzhu.domain.claims import ClaimState
from huzhu.domain.errors import HuzhuError
from huzhu.domain.jury import Vote
from huzhu.domain.plan_rules import Category
from huzhu.domain.plans import Plan
from huzhu.services.claims import investigation, jury
from huzhu.services.claims.service import current_plan
from huzhu.simulation import casework
from huzhu.simulation.accounts import DemoMember
from huzhu.simulation.world import REVIEWER, World, beijing

JURY_POOL = 13  # members besides the demo member who pass the juror test
WAITING = 95  # days after the first cohort joins when an illness can be claimed and paid


def _pick(w: World, plan: Plan, category: Category, diagnosed: date) -> int | None:
    """A covered member, not already part of a staged case."""
    with w.uow() as uow:
        roster = [m for m, _ in uow.memberships.roster(plan.id) if m not in w.protected]
        for membership_id in w.rng.sample(roster, min(len(roster), 200)):
            if uow.memberships.get(membership_id).cover_starts(plan, category) <= diagnosed:
                w.protected.add(membership_id)
                return membership_id
    return None


def _code(plan: Plan, category: Category) -> str:
    return casework.codes_by_category(plan)[category.value][0]


def _case(
    w: World,
    plan: Plan,
    category: Category,
    submitted: datetime,
    steps: list[tuple[datetime, str]],
    membership_id: int | None = None,
) -> None:
    """Submit a claim at `submitted`, then take `steps` (assign, announce, reject, object...)."""

    def start(at: datetime) -> None:
        diagnosed = at.date() - timedelta(days=3)
        member = membership_id or _pick(w, plan, category, diagnosed)
        if member is None:
            return
        claim_id = casework.submit(w, member, _code(plan, category), diagnosed, at, review=False)
        if claim_id is None:
            return
        for when, action in steps:
            w.schedule.at(when, partial(_step, w, claim_id, action))

    w.schedule.at(submitted, start)


def _step(w: World, claim_id: int, action: str, at: datetime) -> None:
    try:
        _take(w, claim_id, action, at)
    except HuzhuError:  # e.g. the rules refused the claim on submission: nothing left to do
        w.counts["staged steps refused"] += 1


def _take(w: World, claim_id: int, action: str, at: datetime) -> None:
    if action == "assign":
        casework.assign(w, claim_id, at, decide=False)
    elif action == "announce":
        casework.announce(w, claim_id, at)
    elif action == "reject":
        casework.reject(w, claim_id, at)
    elif action == "object":
        casework.object_to(w, claim_id, at, review=None)
    elif action == "documents":
        with w.uow() as uow:
            what = "出院小结和病理报告"
            investigation.request_documents(uow, claim_id, what, REVIEWER, at)
            uow.commit()
    elif action == "appeal":
        with w.uow() as uow:
            statement = "疾病是在加入之后才发生的；我之前的就诊是因为别的原因。"
            jury.appeal(uow, claim_id, statement, "member", at)
            uow.commit()


def stage(w: World, plans: dict[str, Plan], member: DemoMember, main: str, other: str) -> None:
    """Schedule the staged cases: `main` is the plan members carry, `other` a second plan."""
    today = w.today

    def ago(days: int, hour: int) -> datetime:
        return beijing(today - timedelta(days=days), hour)

    ill, accident = Category.CRITICAL_ILLNESS, Category.ACCIDENT
    first = beijing(w.start + timedelta(days=12), 10)
    if plans[other].cover.categories and accident in plans[other].cover.categories:
        _case(w, plans[other], accident, first, [(first + timedelta(days=1), "assign"),
              (first + timedelta(days=3), "announce")])  # fmt: skip
    paid = beijing(w.start + timedelta(days=WAITING), 10)
    if paid < ago(35, 10):
        for plan in plans.values():
            category = ill if ill in plan.cover.categories else Category.CANCER
            _case(w, plan, category, paid, [(paid + timedelta(days=1), "assign"),
                  (paid + timedelta(days=3), "announce")])  # fmt: skip
    m, o = plans[main], plans[other]
    _case(w, m, ill, ago(1, 21), [])  # submitted
    _case(w, o, ill, ago(4, 10), [(ago(3, 11), "assign")])  # under investigation
    _case(w, o, ill, ago(7, 10), [(ago(6, 11), "assign"), (ago(1, 10), "announce")])
    _case(w, m, ill, ago(9, 10), [(ago(8, 11), "assign"), (ago(1, 11), "announce"),
          (ago(1, 16), "object")])  # fmt: skip
    _case(w, m, ill, ago(15, 10), [(ago(14, 11), "assign"), (ago(10, 15), "reject")])
    _case(w, o, ill, ago(6, 20), [(ago(5, 10), "assign"), (ago(3, 10), "documents")],
          membership_id=member.memberships[other])  # fmt: skip
    _case(w, m, ill, ago(26, 10), [(ago(25, 10), "assign"), (ago(20, 15), "reject"),
          (ago(12, 11), "appeal")])  # fmt: skip
    w.schedule.at(ago(45, 19), lambda at: _juror_tests(w, m, member, at))
    w.schedule.at(ago(2, 10), lambda at: _jury(w, member, at))


def _juror_tests(w: World, plan: Plan, member: DemoMember, at: datetime) -> None:
    answers = {q.id: q.answer for q in rules.QUESTIONS}
    with w.uow() as uow:
        roster = [m for m, _ in uow.memberships.roster(plan.id) if m not in w.protected]
        chosen = w.rng.sample(roster, min(len(roster), JURY_POOL))
        w.protected.update(chosen)
        people = [uow.memberships.get(m).person_id for m in chosen]
        for person_id in [member.person_id, *people]:
            jury.take_test(uow, person_id, answers, at)
        uow.commit()


def _jury(w: World, member: DemoMember, at: datetime) -> None:
    """Draw the jury of the appealed claim with a seed that seats the demo member; two vote."""
    with w.uow() as uow:
        appealed = uow.claims.list(state=ClaimState.JURY, limit=1)
        if not appealed:
            return
        claim = appealed[0]
        assert claim.id is not None
        pool = jury.eligible(uow, claim, at)
        size = current_plan(uow, claim, at).claims.jury_size
        seed = next(
            (s for s in (f"demo-{w.seed}-{i:04d}" for i in range(10_000))
             if member.person_id in rules.draw(s, pool, size)),
            f"demo-{w.seed}",
        )  # fmt: skip
        try:
            sitting = jury.draw_jury(uow, claim.id, REVIEWER, at, seed=seed)
        except HuzhuError:  # too few jurors in a very small demo
            return
        uow.commit()
    others = [p for p in rules.draw(seed, pool, size) if p != member.person_id][:2]
    for hours, person_id in enumerate(others, start=4):
        w.schedule.at(at + timedelta(hours=hours), partial(_vote, w, sitting.id, person_id))


def _vote(w: World, jury_id: int, person_id: int, at: datetime) -> None:
    with w.uow() as uow:
        jury.vote(uow, jury_id, person_id, Vote.OVERTURN, at)
        uow.commit()
