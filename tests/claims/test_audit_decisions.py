"""`huzhu audit` reports what a race (or a hand edit) leaves behind, planted here straight into
the database (issue 10): a person paid out twice in a plan, a claim decided twice, a live
membership with a leaving date, a payout that differs from the plan's rule with no override on
record, two public-log entries for one decision. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from claimkit import Kit, build
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from helpers import at
from huzhu.services.audit.service import audit
from huzhu.services.claims import decisions
from huzhu.services.claims.cards import case_card
from huzhu.services.record import public_record
from huzhu.storage.uow import UnitOfWork

PAID_TWICE = "no person is paid out twice in a plan"
DECIDED_TWICE = "no claim is decided twice (each history chains)"
LIVE_LEAVER = "no live membership has a leaving date"
OFF_RULE = "every payout is the plan's rule or a recorded override"
TWO_ENTRIES = "one public-log entry per decision"


@pytest.fixture
def kit(engine: Engine) -> Kit:
    return build(engine)


def problems(kit: Kit) -> dict[str, list[str]]:
    with UnitOfWork(kit.engine) as uow:
        report = audit(uow)
    return {c.name: c.problems for c in report.checks if not c.ok}


def plant(kit: Kit, sql: str, **params: Any) -> None:
    with kit.engine.begin() as conn:
        conn.execute(text(sql), params)


def approved(kit: Kit) -> int:
    claim_id = kit.submit()
    kit.run(decisions.approve, claim_id, "reviewer", at("2026-01-05"))
    return claim_id


def test_one_membership_cannot_hold_two_payouts(kit: Kit) -> None:
    first, second = kit.submit(), kit.submit()
    kit.run(decisions.approve, first, "reviewer", at("2026-01-05"))
    with pytest.raises(IntegrityError):
        plant(kit, "UPDATE claims SET state = 'approved' WHERE id = :c", c=second)


def test_a_person_paid_out_twice_in_a_plan(kit: Kit) -> None:
    first = kit.submit()
    second = kit.submit()
    kit.run(decisions.approve, first, "reviewer", at("2026-01-05"))
    assert problems(kit) == {}
    # Paid, the member left; they join again and the second claim is approved on the new
    # membership (a constraint keeps one payout per membership, not per person).
    plant(
        kit,
        "INSERT INTO memberships (plan_id, person_id, plan_version, joined_at, lifecycle)"
        " SELECT plan_id, person_id, plan_version, :at, 'active' FROM memberships WHERE id = :m",
        m=kit.claimant,
        at=at("2026-01-06"),
    )
    plant(
        kit,
        "UPDATE claims SET state = 'approved', membership_id = (SELECT max(id) FROM memberships)"
        " WHERE id = :c",
        c=second,
    )
    [found] = problems(kit)[PAID_TWICE]
    assert f"person {kit.claimant_person} has 2 claims" in found
    assert f"(claims {first}..{second})" in found


def test_a_claim_decided_twice(kit: Kit) -> None:
    claim_id = approved(kit)
    assert problems(kit) == {}
    plant(
        kit,
        "INSERT INTO claim_events (claim_id, at, actor, action, from_state, to_state, details)"
        " VALUES (:c, :at, 'r2', 'approved', 'submitted', 'approved', '{}')",
        c=claim_id,
        at=at("2026-01-05", 11),
    )
    found = problems(kit)
    assert list(found) == [DECIDED_TWICE]
    [message] = found[DECIDED_TWICE]
    assert f"claim {claim_id}:" in message and "from submitted, but it was approved" in message


def test_an_active_membership_with_a_leaving_date(kit: Kit) -> None:
    with UnitOfWork(kit.engine) as uow:
        member = uow.conn.scalar(text("SELECT min(id) FROM memberships WHERE id <> :m"),
                                 {"m": kit.claimant})  # fmt: skip
    assert problems(kit) == {}
    plant(kit, "UPDATE memberships SET left_at = :at WHERE id = :m", m=member, at=at("2026-01-08"))
    assert problems(kit) == {LIVE_LEAVER: [f"membership {member} is active but has a leaving "
                                           "date (2026-01-08T02:00:00+00:00)"]}  # fmt: skip


def test_a_payout_off_the_rule_unless_an_override_was_recorded(kit: Kit) -> None:
    claim_id = approved(kit)
    assert problems(kit) == {}
    plant(kit, "UPDATE claims SET payout = 300000 WHERE id = :c", c=claim_id)
    assert problems(kit) == {
        OFF_RULE: [
            f"claim {claim_id} (approved): payout 3,000.00 yuan, the plan's rule gives "
            "1,000.00 yuan, and no override was recorded"
        ]
    }
    with UnitOfWork(kit.engine) as uow:
        details = {"claim_id": claim_id, "rule_payout": 100_000, "payout": 300_000,
                   "reason": "records", "by": "operator"}  # fmt: skip
        uow.audit_log.record(at("2026-01-05"), None, "claim.payout-override", f"claim:{claim_id}",
                             details)  # fmt: skip
        uow.commit()
    assert problems(kit) == {}


def test_two_public_entries_for_one_announcement(kit: Kit) -> None:
    claim_id = kit.submit()
    kit.run(decisions.approve, claim_id, "reviewer", at("2026-01-05"), announce=True)
    assert problems(kit) == {}
    with UnitOfWork(kit.engine) as uow:
        card = case_card(uow, claim_id) | {"window_end": at("2026-01-08")}
        public_record.append(uow, "case-announced", f"claim:{claim_id}", card, at("2026-01-05"))
        uow.commit()
    assert problems(kit) == {
        TWO_ENTRIES: [f"claim:{claim_id}: 2 case-announced entries for 1 announcement(s)"]
    }
