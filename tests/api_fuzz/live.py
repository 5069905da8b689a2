"""A live huzhu API on a real database (SQLite and PostgreSQL), seeded so that every endpoint has
something to find: a signed-in account with every role and its membership, another member's paid
claim, a published round and a registered host app.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import Engine

from helpers import at, install, join_many, join_one
from huzhu.api.app import create_app
from huzhu.api.settings import Settings
from huzhu.domain.access import Role
from huzhu.services.accounts import service as accounts
from huzhu.services.claims import decisions, submission
from huzhu.services.money.ledger import top_up
from huzhu.services.rounds.service import run_round
from huzhu.storage.uow import UnitOfWork

# The app's clock stands still, so every run sees the same plans, waiting periods and rounds.
NOW = at("2026-02-02")
ALL_ROLES = frozenset(Role)
USERNAME = "fuzz-operator"
PASSWORD = "correct horse battery staple"
PLAN = "waterdrop-cancer"


@dataclass
class LiveApi:
    """The app under test and the account that calls it."""

    app: FastAPI
    engine: Engine
    account_id: int
    token: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def sign_in_again(self) -> None:
        """A fresh bearer token (after a generated call signed the old one out)."""
        with UnitOfWork(self.engine) as uow:
            issued = accounts.open_session(
                uow, self.account_id, NOW, cookie=False, ttl=Settings().session_ttl
            )
            uow.commit()
        self.token = issued.token

    def restore_roles(self) -> None:
        """Every role again (after a generated PUT /v1/accounts/{id}/roles took some away)."""
        with UnitOfWork(self.engine) as uow:
            if uow.accounts.get(self.account_id).roles != ALL_ROLES:
                uow.accounts.set_roles(self.account_id, ALL_ROLES)
                uow.commit()


@cache
def password_hash() -> str:
    """Hashed once: argon2 is slow on purpose, and every test seeds a database."""
    return PasswordHasher().hash(PASSWORD)


def seed(engine: Engine) -> int:
    """Plans; the account (every role) and its live membership, id 1; a claimant whose claim,
    id 1, was paid in the published round 1; 20 other members. Returns the account id.

    Generated ids are rarely small, but 1 is a boundary every run tries: id 1 is the interesting
    resource of each kind."""
    install(engine, at("2025-01-01"))
    mine = join_one(engine, PLAN, at("2025-02-01"), n=1, birth=date(1990, 5, 17), name="吴小漫")
    claimant = join_one(engine, PLAN, at("2025-02-01"), n=3, birth=date(1985, 1, 1), name="李四")
    join_many(engine, PLAN, 20, at("2025-02-01"))
    with UnitOfWork(engine) as uow:
        # The plan is prepaid: cover starts when the deposit arrives (issue 9).
        deposit = uow.plans.get(PLAN).collection.initial_deposit or 0
        if deposit:
            for m in (mine.membership_id, claimant.membership_id):
                top_up(uow, m, deposit, f"deposit-{m}", at("2025-02-01", 10))
        claim = submission.submit(
            uow,
            submission.ClaimRequest(
                membership_id=claimant.membership_id,
                condition_code="CA-01",
                diagnosis_date=date(2026, 1, 2),
                hospital="北京协和医院",
                evidence=("report.pdf",),
            ),
            at("2026-01-03"),
        )
        assert (mine.membership_id, claim.id) == (1, 1)
        decisions.approve(uow, claim.id, "reviewer", at("2026-01-04"))
        run_round(uow, PLAN, date(2026, 1, 7), at("2026-01-07", 12))
        account_id = uow.accounts.add(
            now=NOW, roles=ALL_ROLES, username=USERNAME, password_hash=password_hash()
        )
        uow.accounts.link_person(account_id, uow.memberships.get(mine.membership_id).person_id)
        accounts.create_host_app(uow, "fuzz-host", "https://host.example/hooks", NOW)
        uow.commit()
    return account_id


def live_api(engine: Engine) -> LiveApi:
    account_id = seed(engine)
    # Generous limits: the fuzzer should reach the endpoints, not the rate limiter.
    settings = Settings(sign_in_limit="100000/minute", join_limit="100000/minute")
    app = create_app(settings, engine)
    app.state.clock = lambda: NOW
    api = LiveApi(app=app, engine=engine, account_id=account_id, token="")
    api.sign_in_again()
    return api
