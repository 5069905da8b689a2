"""Builders for the money tests: small plans, a configured sandbox gateway, and the clock.

Every test here runs on SQLite and on PostgreSQL (the `engine` fixture) with small populations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from helpers import at, install, join_many, join_one, kit_rounds, publish_text
from huzhu.domain.claims import ClaimState
from huzhu.gateways.sandbox import SandboxGateway
from huzhu.gateways.sandbox_config import SandboxConfig
from huzhu.plans.loader import template_text
from huzhu.services.audit.service import audit
from huzhu.services.claims import decisions, submission
from huzhu.services.money import callbacks
from huzhu.services.rounds.service import run_round
from huzhu.storage.tables import memberships
from huzhu.storage.uow import UnitOfWork


def plan_text(template: str, plan_id: str, payout_yuan: str) -> str:
    """A template under another id with one flat payout at every age."""
    text = template_text(template).replace(f'id = "{template}"', f'id = "{plan_id}"')
    if template == "meituan-huzhu":
        text = kit_rounds(text)
    # These kits test rounds and collection: members join covered, with no deposit to wait for
    # (deposits: tests/money/test_deposit.py).
    text = "\n".join(x for x in text.splitlines() if not x.startswith("initial_deposit"))
    start, end = text.index("[payout]"), text.index("[waiting]")
    band = f'{{ min_age_years = 0, max_age_years = 120, amount = "{payout_yuan}" }}'
    return f'{text[:start]}[payout]\nmaximum = "{payout_yuan}"\nbands = [{band}]\n\n{text[end:]}'


@dataclass
class Sandbox:
    """The sandbox gateway with a test's settings; callbacks go to the service directly."""

    engine: Engine
    config: SandboxConfig = field(default_factory=lambda: SandboxConfig(seed=7))

    def __call__(self, bind: Connection | Engine) -> SandboxGateway:
        return SandboxGateway(bind, self.config)

    @property
    def gateway(self) -> SandboxGateway:
        return SandboxGateway(self.engine, self.config)

    def set(self, **changes: Any) -> None:
        self.config = SandboxConfig(**{**self.config.__dict__, **changes})

    def deliver(self, now: datetime) -> Callable[[bytes, str], int]:
        return lambda body, sig: callbacks.handle(self.engine, self.gateway, body, sig, now).status

    def pump(self, now: datetime) -> int:
        return self.gateway.pump(now, self.deliver(now))

    def drain(self, now: datetime) -> datetime:
        """Pump until every callback (duplicates too) has gone out; returns the clock after."""
        for _ in range(6):
            now += self.config.delay
            self.pump(now)
        return now


def submit_claim(engine: Engine, membership_id: int, diagnosed: str, now: str) -> int:
    with UnitOfWork(engine) as uow:
        claim = submission.submit(
            uow,
            submission.ClaimRequest(
                membership_id=membership_id,
                condition_code="CI-01",
                diagnosis_date=date.fromisoformat(diagnosed),
                hospital="北京协和医院",
                evidence=("report.pdf",),
            ),
            at(now),
        )
        uow.commit()
    assert claim.state is ClaimState.SUBMITTED, claim.reason_code
    return claim.id or 0


def approve(engine: Engine, claim_id: int, now: str) -> None:
    with UnitOfWork(engine) as uow:
        decisions.approve(uow, claim_id, "reviewer", at(now))
        uow.commit()


def run(engine: Engine, plan_id: str, day: str) -> Any:
    with UnitOfWork(engine) as uow:
        outcome = run_round(uow, plan_id, date.fromisoformat(day), at(day, 12))
        uow.commit()
    return outcome


@dataclass(frozen=True)
class World:
    plan_id: str
    claimant: int
    claim_id: int
    members: list[int]  # everyone else, in id order


def build(
    engine: Engine, template: str, plan_id: str, count: int, *, payout: str = "1000"
) -> World:
    """A plan of `count` members plus a claimant whose claim is approved before the round."""
    install(engine, at("2025-08-01"))
    publish_text(engine, plan_text(template, plan_id, payout), at("2025-08-01"))
    claimant = join_one(engine, plan_id, at("2025-09-01"), n=7, birth=date(1985, 1, 1))
    assert join_many(engine, plan_id, count, at("2025-09-01")) == count
    with UnitOfWork(engine) as uow:
        ids = list(
            uow.conn.scalars(
                select(memberships.c.id)
                .where(
                    memberships.c.plan_id == plan_id,
                    memberships.c.id != claimant.membership_id,
                )
                .order_by(memberships.c.id)
            )
        )
    claim_id = submit_claim(engine, claimant.membership_id, "2026-01-03", "2026-01-04")
    approve(engine, claim_id, "2026-01-05")
    return World(plan_id, claimant.membership_id, claim_id, ids)


def audit_problems(engine: Engine) -> dict[str, list[str]]:
    with UnitOfWork(engine) as uow:
        report = audit(uow)
    return {c.name: c.problems for c in report.checks if not c.ok}


def assert_audit_passes(engine: Engine) -> None:
    assert audit_problems(engine) == {}


def reconcile_and_audit(engine: Engine, box: Sandbox, *days: str) -> None:
    """Reconcile each day's statement, then the audit must pass (clearing back to zero)."""
    from huzhu.services.money.reconcile import reconcile

    for day in days:
        with UnitOfWork(engine) as uow:
            reconcile(uow, box(uow.conn), date.fromisoformat(day), at(day, 23))
            uow.commit()
    assert_audit_passes(engine)


def balance(engine: Engine, code: str) -> int:
    with UnitOfWork(engine) as uow:
        return uow.ledger.balance(code)


def count(engine: Engine, table: Any, *where: Any) -> int:
    with UnitOfWork(engine) as uow:
        return int(uow.conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def later(moment: datetime, **delta: float) -> datetime:
    return moment + timedelta(**delta)
