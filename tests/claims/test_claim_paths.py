"""The full paths of the claims workflow, end to end through the services, on both databases:
approve, object, overturn; reject, appeal, the jury overturns; documents requested, deadline
missed; withdrawal."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from claimkit import PLAN, Kit, build
from sqlalchemy import Engine, text

from helpers import at
from huzhu.domain import jury as jury_rules
from huzhu.domain.access import Role
from huzhu.domain.errors import Conflict, InvalidInput
from huzhu.domain.jury import Vote
from huzhu.domain.members import Lifecycle
from huzhu.messages import render
from huzhu.services.claims import decisions
from huzhu.services.claims import investigation as inv
from huzhu.services.claims import jury as jury_svc
from huzhu.services.claims import objections as obj_svc
from huzhu.services.claims.objections import Outcome
from huzhu.storage.uow import UnitOfWork

# Parameters that carry people's own words (a reviewer's note, an objection): not ours to word.
THEIR_WORDS = {"reason", "note", "what"}
SENTENCE = re.compile(r"[A-Za-z]+ [a-z]+ [a-z]+")


@pytest.fixture
def kit(engine: Engine) -> Iterator[Kit]:
    built = build(engine)
    yield built
    # Every message of every path is a kind and parameters: none stores an English sentence
    # (issue 15), and each is worded in both languages.
    with UnitOfWork(engine) as uow:
        people = [
            p for (p,) in uow.conn.execute(text("SELECT DISTINCT person_id FROM inbox_messages"))
        ]
        stored = uow.inbox.page(people, after_id=0, limit=10_000)
    assert stored
    for m in stored:
        for name, value in m.params.items():
            assert name in THEIR_WORDS or not SENTENCE.search(str(value)), (m.kind, name, value)
        assert render(m.kind, m.params, "zh").title != render(m.kind, m.params, "en").title


def announced(kit: Kit) -> int:
    claim_id = kit.submit()
    kit.run(decisions.approve, claim_id, "reviewer", at("2026-01-05"), announce=True)
    return claim_id


def test_approve_object_overturn(kit: Kit) -> None:
    claim_id = announced(kit)
    assert kit.state(claim_id) == "announced"
    card = kit.log("case-announced", f"claim:{claim_id}")
    assert len(card) == 1 and card[0]["payout"] == 100_000 and card[0]["name"] == "吴*漫"
    assert card[0]["window_end"].startswith("2026-01-08")
    objector = kit.crowd[0]
    objection = kit.run(obj_svc.object_to, claim_id, objector, "病历日期早于入会", at("2026-01-06"))
    # The window closes, but a pending objection keeps the claim from becoming final.
    assert kit.run(decisions.finalize_announced, PLAN, at("2026-01-09")) == 0
    kit.run(
        obj_svc.review,
        objection.id,
        Outcome.UPHOLD,
        "the record predates joining",
        "r2",
        at("2026-01-09"),
    )
    claim = kit.read(lambda uow: uow.claims.get(claim_id))
    wf = kit.read(lambda uow: uow.workflow.get(claim_id))
    member = kit.read(lambda uow: uow.memberships.get(kit.claimant))
    assert claim.state.value == "rejected" and claim.reason_code == "objection-upheld"
    assert "objection_window_days = 3" in (claim.reason_text or "")  # the rule is quoted
    assert wf.appeal_until is not None  # appealable
    assert member.lifecycle is Lifecycle.ACTIVE  # cover did not end: nothing was paid
    figures = kit.round("2026-01-11").figures
    assert figures.cases == 0 and figures.payouts == 0
    assert "objection.reviewed" in kit.inbox(objector)
    assert kit.inbox(kit.claimant_person) == [
        "claim.submitted", "claim.announced", "claim.objection", "claim.rejected"
    ]  # fmt: skip


def test_a_dismissed_objection_lets_the_claim_be_paid(kit: Kit) -> None:
    claim_id = announced(kit)
    objection = kit.run(obj_svc.object_to, claim_id, kit.crowd[1], "seems early", at("2026-01-06"))
    kit.run(
        obj_svc.review, objection.id, Outcome.DISMISS, "records check out", "r2", at("2026-01-07")
    )
    figures = kit.round("2026-01-11").figures  # finalize_announced runs inside the round
    assert figures.cases == 1 and figures.payouts == 100_000
    assert figures.members == 12  # the claimant's cover ended when the decision became final
    assert kit.state(claim_id) == "shared"


def test_an_announcement_whose_window_is_still_open_waits_for_the_next_round(kit: Kit) -> None:
    claim_id = kit.submit(now="2026-01-08")
    kit.run(decisions.approve, claim_id, "reviewer", at("2026-01-09"), announce=True)
    assert kit.round("2026-01-11").figures.cases == 0  # window ends 2026-01-12
    assert kit.state(claim_id) == "announced"
    assert kit.round("2026-01-21").figures.cases == 1
    assert kit.state(claim_id) == "shared"


def test_reject_appeal_and_the_jury_overturns(kit: Kit) -> None:
    claim_id = kit.submit()
    kit.run(inv.assign, claim_id, _reviewer(kit), "operator", at("2026-01-04", 11))
    kit.run(
        decisions.reject,
        claim_id,
        "reviewer",
        "not-critical",
        "the report shows a mild case",
        at("2026-01-05"),
    )
    kit.run(
        jury_svc.appeal,
        claim_id,
        "the hospital report says stage III",
        "claimant",
        at("2026-01-06"),
    )
    assert kit.state(claim_id) == "jury"
    kit.pass_tests(kit.crowd, at("2026-01-06"))
    seed = "published-seed-2026-01-06"
    jury = kit.run(jury_svc.draw_jury, claim_id, "operator", at("2026-01-06", 12), seed)
    seated = kit.read(lambda uow: [s.person_id for s in uow.juries.seats(jury.id)])
    # Reproducible: the same seed over the same eligible list draws the same jurors.
    assert seated == jury_rules.draw(seed, kit.crowd, 5)
    assert jury.eligible_digest == jury_rules.eligible_digest(kit.crowd)
    assert kit.claimant_person not in seated
    # One juror declines; the next in the seed's order replaces them.
    replacement = kit.run(jury_svc.decline, jury.id, seated[0], at("2026-01-07"))
    assert replacement == jury_rules.draw(seed, kit.crowd, 1, skip=seated)[0]
    voters = [*seated[1:], replacement]
    for person, choice in zip(voters, "OOOUO", strict=True):
        vote = Vote.OVERTURN if choice == "O" else Vote.UPHOLD
        kit.run(jury_svc.vote, jury.id, person, vote, at("2026-01-08"))
    closed = kit.run(jury_svc.close_jury, jury.id, "operator", at("2026-01-08", 12))
    assert (closed.result.value, closed.overturn, closed.uphold) == ("overturned", 4, 1)
    [published] = kit.log("jury-result", f"claim:{claim_id}")
    assert published["seed"] == seed and published["result"] == "overturned"
    assert (published["overturn"], published["uphold"], published["declined"]) == (4, 1, 1)
    # Overturned: announced (window to 2026-01-11 12:00), final after it, paid in the 21st's round.
    assert kit.state(claim_id) == "announced"
    assert kit.round("2026-01-11").figures.cases == 0
    assert kit.round("2026-01-21").figures.cases == 1
    assert kit.state(claim_id) == "shared"
    # A ruled claim is never appealed twice.
    with pytest.raises(Conflict):
        kit.run(jury_svc.appeal, claim_id, "again", "claimant", at("2026-01-22"))


def test_documents_requested_and_the_deadline_missed(kit: Kit) -> None:
    claim_id = kit.submit()
    kit.run(inv.assign, claim_id, _reviewer(kit), "operator", at("2026-01-04", 11))
    kit.run(
        inv.request_documents,
        claim_id,
        "the pathology report",
        "investigator",
        at("2026-01-05"),
        days=7,
    )
    assert kit.state(claim_id) == "documents_requested"
    # Nothing arrives. Past the deadline, the sweep applies the defined outcome.
    assert kit.run(inv.sweep, PLAN, at("2026-01-11")) == (0, 0)
    assert kit.run(inv.sweep, PLAN, at("2026-01-12", 11)) == (1, 0)
    claim = kit.read(lambda uow: uow.claims.get(claim_id))
    assert claim.state.value == "rejected" and claim.reason_code == "documents-not-provided"
    assert "the pathology report" in (claim.reason_text or "")
    assert "documents_days = 14" in (claim.reason_text or "")
    # ...which may be appealed.
    kit.run(jury_svc.appeal, claim_id, "I was in hospital", "claimant", at("2026-01-13"))
    assert kit.state(claim_id) == "jury"
    assert kit.inbox(kit.claimant_person) == [
        "claim.submitted", "claim.assigned", "claim.documents-requested", "claim.rejected",
        "claim.appealed",
    ]  # fmt: skip


def test_withdrawal(kit: Kit) -> None:
    claim_id = kit.submit()
    kit.run(inv.assign, claim_id, _reviewer(kit), "operator", at("2026-01-04", 11))
    kit.run(inv.withdraw, claim_id, "claimant", at("2026-01-05"))
    assert kit.state(claim_id) == "withdrawn"
    with pytest.raises(Conflict) as refused:
        kit.run(decisions.approve, claim_id, "reviewer", at("2026-01-06"))
    assert refused.value.code == "claim-state"
    assert kit.round("2026-01-11").figures.cases == 0
    assert kit.inbox(kit.claimant_person)[-1] == "claim.withdrawn"
    # The member may claim again: a withdrawn claim is no payout.
    assert kit.submit(now="2026-01-12") > claim_id


def test_a_reviewer_reopens_a_rejected_case(kit: Kit) -> None:
    claim_id = kit.submit()
    kit.run(
        decisions.reject,
        claim_id,
        "reviewer",
        "no-evidence",
        "no report attached",
        at("2026-01-05"),
    )
    with pytest.raises(InvalidInput):
        kit.run(inv.reopen, claim_id, "reviewer", "  ", at("2026-01-06"))
    kit.run(inv.reopen, claim_id, "reviewer", "the report arrived by post", at("2026-01-06"))
    wf = kit.read(lambda uow: uow.workflow.get(claim_id))
    assert kit.state(claim_id) == "under_investigation" and wf.appeal_until is None
    kit.run(decisions.approve, claim_id, "reviewer", at("2026-01-07"), announce=True)
    assert kit.round("2026-01-21").figures.cases == 1


def _reviewer(kit: Kit) -> int:
    def add(uow: UnitOfWork) -> int:
        roles = frozenset({Role.REVIEWER})
        return uow.accounts.add(now=at("2026-01-01"), roles=roles, username="rita")

    return kit.run(add)
