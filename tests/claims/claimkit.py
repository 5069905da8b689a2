"""Builders for the claims workflow tests: a small plan with a `[claims]` table, a claimant, a crowd
of members (jurors-to-be), and one-line service calls that each run in their own transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select

from helpers import at, install, join_many, join_one, kit_rounds, publish_text
from huzhu.domain.jury import QUESTIONS
from huzhu.plans.loader import template_text
from huzhu.services.claims import jury as jury_svc
from huzhu.services.claims import submission
from huzhu.services.messaging.notify import MemoryNotifier, set_notifier
from huzhu.services.rounds.service import run_round
from huzhu.storage.tables import memberships
from huzhu.storage.uow import UnitOfWork

PLAN = "claims-plan"
CROWD = 12
RULES = """
[claims]
objection_window_days = 3
appeal_days = 30
documents_days = 14
jury_size = 5
jury_quorum = 3
jury_days = 7
juror_min_member_days = 30
"""
T = TypeVar("T")


def plan_text(plan_id: str = PLAN, payout: str = "1000", rules: str = RULES) -> str:
    """The Meituan template (rounds on the 1st, 11th and 21st) with one flat payout."""
    text = kit_rounds(template_text("meituan-huzhu"))
    text = text.replace('id = "meituan-huzhu"', f'id = "{plan_id}"')
    start, end = text.index("[payout]"), text.index("[waiting]")
    band = f'{{ min_age_years = 0, max_age_years = 120, amount = "{payout}" }}'
    text = text[:start] + f'[payout]\nmaximum = "{payout}"\nbands = [{band}]\n\n' + text[end:]
    return text + rules


@dataclass
class Kit:
    engine: Engine
    claimant: int  # membership id
    claimant_person: int
    crowd: list[int]  # person ids of the other members, in joining order
    notifier: MemoryNotifier

    def run(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        """Call a service with a fresh unit of work as its first argument, and commit."""
        with UnitOfWork(self.engine) as uow:
            result = fn(uow, *args, **kw)
            uow.commit()
        return result

    def read(self, fn: Callable[[UnitOfWork], T]) -> T:
        with UnitOfWork(self.engine) as uow:
            return fn(uow)

    def submit(self, diagnosed: str = "2026-01-03", now: str = "2026-01-04") -> int:
        claim = self.run(
            submission.submit,
            submission.ClaimRequest(self.claimant, "CI-01", date.fromisoformat(diagnosed), "协和"),
            at(now),
        )
        assert claim.state.value == "submitted", claim.reason_text
        return claim.id or 0

    def state(self, claim_id: int) -> str:
        return self.read(lambda uow: uow.claims.get(claim_id).state.value)

    def pass_tests(self, person_ids: list[int], now: datetime) -> None:
        answers = {q.id: q.answer for q in QUESTIONS}
        with UnitOfWork(self.engine) as uow:
            for p in person_ids:
                assert jury_svc.take_test(uow, p, answers, now) == (len(QUESTIONS), True)
            uow.commit()

    def round(self, day: str) -> Any:
        with UnitOfWork(self.engine) as uow:
            outcome = run_round(uow, PLAN, date.fromisoformat(day), at(day, 12))
            uow.commit()
        return outcome.round

    def inbox(self, person_id: int) -> list[str]:
        return self.read(
            lambda uow: [m.kind for m in uow.inbox.page([person_id], after_id=0, limit=200)]
        )

    def log(self, kind: str, subject: str) -> list[dict[str, Any]]:
        def entries(uow: UnitOfWork) -> list[dict[str, Any]]:
            return [
                e.payload
                for e in uow.public_record.all_entries()
                if (e.kind, e.subject) == (kind, subject)
            ]

        return self.read(entries)


def build(engine: Engine, rules: str = RULES) -> Kit:
    notifier = MemoryNotifier()
    set_notifier(notifier)
    install(engine, at("2025-08-01"))
    publish_text(engine, plan_text(rules=rules), at("2025-08-01"))
    claimant = join_one(engine, PLAN, at("2025-09-01"), n=7, birth=date(1985, 1, 1))
    assert join_many(engine, PLAN, CROWD, at("2025-09-01")) == CROWD
    with UnitOfWork(engine) as uow:
        person = uow.memberships.get(claimant.membership_id).person_id
        crowd = list(
            uow.conn.scalars(
                select(memberships.c.person_id)
                .where(memberships.c.plan_id == PLAN, memberships.c.person_id != person)
                .order_by(memberships.c.id)
            )
        )
    return Kit(engine, claimant.membership_id, person, crowd, notifier)


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)
