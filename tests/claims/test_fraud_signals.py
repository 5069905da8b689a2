"""Fraud signals are flags for reviewers, never rejections."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from claimkit import PLAN, Kit, build
from sqlalchemy import Engine

from helpers import at
from huzhu.domain.fraud import Facts, flags
from huzhu.services.claims import investigation as inv
from huzhu.services.claims import service as claim_svc
from huzhu.services.claims.flags import claim_flags

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
        request = claim_svc.ClaimRequest(membership.id, "CI-02", date(2026, 1, 3), "协和")
        others.append(kit.run(claim_svc.submit, request, at("2026-01-04")).id or 0)
    found = [f.code for f in kit.read(lambda uow: claim_flags(uow, first))]
    assert found == ["hospital-cluster", "date-cluster"]
    # Flags never decide: the claim is still submitted, and a withdrawn one still counts.
    assert kit.state(first) == "submitted"
    kit.run(inv.withdraw, others[0], "claimant", at("2026-01-05"))
    assert [f.code for f in kit.read(lambda uow: claim_flags(uow, first))] == found
