"""Fraud signals are flags for reviewers, never rejections."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from claimkit import PLAN, Kit, build, plan_text
from sqlalchemy import Engine

from helpers import at, join_one, publish_text
from huzhu.domain.fraud import CLUSTER_DAYS, TEXTS, Facts, flags
from huzhu.services.claims import investigation as inv
from huzhu.services.claims import submission
from huzhu.services.claims.flags import claim_flags, flags_of
from huzhu.storage.repositories.claims.signals import ClaimSignalsRepository
from huzhu.storage.uow import UnitOfWork

BASE = Facts(date(2026, 1, 3), date(2025, 12, 1), "协和", early_days=30)


def codes(f: Facts) -> list[str]:
    return [flag.code for flag in flags(f)]


def test_each_signal() -> None:
    assert codes(BASE) == []
    assert codes(replace(BASE, cover_started=date(2025, 12, 20))) == ["early-claim"]
    assert codes(replace(BASE, cover_started=date(2026, 1, 4))) == []  # before cover: no flag
    [flag] = flags(replace(BASE, reused_evidence={"ab" * 32: [4, 2]}))
    assert flag.code == "evidence-reused" and "2, 4" in flag.message
    assert codes(replace(BASE, other_plan_claims=[(9, "p")])) == ["claims-in-other-plans"]
    cluster = replace(BASE, same_hospital=3, same_day=3)
    assert codes(cluster) == ["hospital-cluster", "date-cluster"]
    assert codes(replace(BASE, same_hospital=2, same_day=2)) == []


def test_a_flag_is_worded_from_its_code_and_parameters() -> None:
    """The sentence is a catalogue msgid filled with the flag's parameters, so a page can word it
    in the reader's language; the API keeps the English one."""
    [early] = flags(replace(BASE, cover_started=date(2025, 12, 20)))
    assert early.params == {"days": "14", "cover_started": "2025-12-20"}
    assert early.message == "diagnosed 14 day(s) after the waiting period ended (2025-12-20)"
    chinese = {TEXTS["early-claim"]: "等待期结束（{cover_started}）后 {days} 天确诊"}
    assert early.worded(lambda m: chinese.get(m, m)) == "等待期结束（2025-12-20）后 14 天确诊"
    cluster = replace(BASE, same_hospital=3, same_day=4)
    assert [f.message for f in flags(cluster)] == [
        f"3 other claim(s) from 协和 within {CLUSTER_DAYS} days",
        "4 other claim(s) diagnosed on 2026-01-03",
    ]


@pytest.fixture
def kit(engine: Engine) -> Kit:
    return build(engine)


def test_flags_from_the_database(kit: Kit) -> None:
    first = kit.submit()
    assert kit.read(lambda uow: claim_flags(uow, first)) == []
    # Three more claims from the same hospital, diagnosed the same day: a cluster.
    others = []
    for person in kit.crowd[:3]:
        membership = kit.read(lambda uow, p=person: uow.memberships.live(PLAN, p))
        assert membership is not None and membership.id is not None
        request = submission.ClaimRequest(membership.id, "CI-02", date(2026, 1, 3), "协和")
        others.append(kit.run(submission.submit, request, at("2026-01-04")).id or 0)
    found = [f.code for f in kit.read(lambda uow: claim_flags(uow, first))]
    assert found == ["hospital-cluster", "date-cluster"]
    # Flags never decide: the claim is still submitted, and a withdrawn one still counts.
    assert kit.state(first) == "submitted"
    kit.run(inv.withdraw, others[0], "claimant", at("2026-01-05"))
    assert [f.code for f in kit.read(lambda uow: claim_flags(uow, first))] == found


def test_a_page_of_claims_gets_each_claims_own_flags(kit: Kit) -> None:
    """The queue gathers the flags of a whole page in a few queries: each claim's flags are the
    ones its own review shows, window edges included (30 days either side, on both databases)."""
    first = kit.submit()
    diagnosed = ["2026-02-02", "2026-02-03", "2025-12-04", "2025-12-03", "2026-01-03",
                 "2026-01-03", "2026-01-03"]  # fmt: skip
    others = []
    for person, day in zip(kit.crowd, diagnosed, strict=False):
        membership = kit.read(lambda uow, p=person: uow.memberships.live(PLAN, p))
        assert membership is not None and membership.id is not None
        request = submission.ClaimRequest(membership.id, "CI-02", date.fromisoformat(day), "协和")
        others.append(kit.run(submission.submit, request, at("2026-02-10")).id or 0)
    # The claimant also claims in another plan, and two claims share one evidence file.
    publish_text(kit.engine, plan_text("claims-plan-2"), at("2025-08-01"))
    elsewhere = join_one(kit.engine, "claims-plan-2", at("2025-09-01"), n=7, birth=date(1985, 1, 1))
    request = submission.ClaimRequest(elsewhere.membership_id, "CI-01", date(2026, 1, 3), "华西")
    second_plan = kit.run(submission.submit, request, at("2026-01-04")).id or 0
    file = ("ab" * 32, "application/pdf", 3, None, "claimant", at("2026-02-10"))
    for claim_id in (first, others[0]):
        kit.run(lambda uow, c=claim_id: uow.evidence.add(c, *file))

    def signals(uow: UnitOfWork) -> dict[int, tuple[int, int]]:
        found = ClaimSignalsRepository(uow.conn).around([uow.claims.get(first)], CLUSTER_DAYS)
        return {k: (v.same_hospital, v.same_day) for k, v in found.items()}

    # +30 and -30 days count, +31 and -31 do not; three others share the diagnosis day.
    assert kit.read(signals) == {first: (5, 3)}
    page = kit.read(lambda uow: flags_of(uow, uow.claims.list(after_id=0, limit=50)))
    one_by_one = {c: kit.read(lambda uow, c=c: claim_flags(uow, c)) for c in page}
    assert page == one_by_one
    assert {f.code for f in page[first]} == {
        "hospital-cluster", "date-cluster", "evidence-reused", "claims-in-other-plans"
    }  # fmt: skip
    assert [f.code for f in page[second_plan]] == ["claims-in-other-plans"]
    assert "evidence-reused" in {f.code for f in page[others[0]]}
