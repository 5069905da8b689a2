"""`huzhu demo` leaves a living plan: it ends at the given moment, every claim state is there,
money was charged, collected, retried and paid through the sandbox gateway, the books close, and
the demo accounts sign in. Small sizes; every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from helpers import install
from huzhu.api.app import create_app
from huzhu.api.settings import Settings
from huzhu.cli.app import app
from huzhu.domain.plan_fields import CHINA_TZ
from huzhu.services.audit.service import audit
from huzhu.services.members import successor
from huzhu.services.members.statement import statement
from huzhu.services.record.verify import verify
from huzhu.simulation.accounts import SENIOR
from huzhu.simulation.demo import (
    MAIN,
    MIX,
    OTHER,
    PREPAID,
    DemoConfig,
    DemoResult,
    first_day,
    run_demo,
)
from huzhu.storage.repositories.members.family import FamilyRepository
from huzhu.storage.tables import claims, memberships, rounds
from huzhu.storage.uow import UnitOfWork

NOW = datetime(2026, 12, 7, 10, 30, tzinfo=CHINA_TZ)  # a Monday morning in Beijing
TODAY = date(2026, 12, 7)
MEMBERS, MONTHS = 300, 5
EVERY_STATE = {
    "submitted", "under_investigation", "documents_requested", "announced", "rejected", "jury",
    "paid",
}  # fmt: skip


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def one(engine: Engine, sql: str, **params: Any) -> Any:
    return rows(engine, sql, **params)[0][0]


def demo(engine: Engine) -> DemoResult:
    install(engine, NOW)
    days: list[date] = []
    result = run_demo(engine, DemoConfig(MEMBERS, MONTHS, 2018, NOW), lambda d, n: days.append(d))
    assert days[-1] == TODAY and len(days) == (TODAY - first_day(TODAY, MONTHS)).days + 1
    return result


def test_a_living_plan_up_to_now(engine: Engine) -> None:
    """One demo run (they take seconds), checked for each thing the demo promises."""
    result = demo(engine)
    _ends_now(engine, result)
    _every_state(engine, result)
    _carry_the_cost(engine, result)
    _accounts_sign_in(engine, result)
    _prepaid_plan(engine, result)
    _promotion_and_offer(engine, result)


def _ends_now(engine: Engine, demo: DemoResult) -> None:
    assert (demo.start, demo.today) == (first_day(TODAY, MONTHS), TODAY)
    with engine.connect() as conn:
        joined = list(conn.scalars(select(memberships.c.joined_at)))
        stamps = [*joined, *conn.scalars(select(claims.c.submitted_at))]
        stamps += conn.scalars(select(rounds.c.created_at))
    assert max(stamps) <= NOW  # nothing happened after the demo's now...
    newest = max(s.astimezone(CHINA_TZ).date() for s in stamps)
    assert newest >= TODAY - timedelta(days=1)  # ...and it ran right up to it
    months = {(s.astimezone(CHINA_TZ).year, s.astimezone(CHINA_TZ).month) for s in joined}
    assert len(months) >= MONTHS  # joining went on month after month
    for plan_id in [*MIX, PREPAID]:  # every round due by now has run, today's included
        last = one(engine, "SELECT MAX(announce_date) FROM rounds WHERE plan_id = :p", p=plan_id)
        assert str(last) >= str(TODAY - timedelta(days=14))


def _every_state(engine: Engine, demo: DemoResult) -> None:
    states = {r[0] for r in rows(engine, "SELECT DISTINCT state FROM claims")}
    assert states >= EVERY_STATE
    pending = "SELECT COUNT(*) FROM claim_objections WHERE status = 'pending'"
    assert one(engine, pending) >= 1  # an announced case under objection
    assert one(engine, "SELECT COUNT(*) FROM juries") >= 1
    cash = "SELECT balance FROM ledger_accounts WHERE code = :c"
    assert one(engine, cash, c=f"{MAIN}:cash") > 0
    assert one(engine, "SELECT SUM(collected) FROM collection_batches WHERE kind = 'debit'") > 0
    assert one(engine, "SELECT COUNT(*) FROM payouts WHERE status = 'paid'") >= 1
    assert one(engine, "SELECT COUNT(*) FROM collection_failures WHERE status <> 'waived'") >= 1
    assert one(engine, "SELECT COUNT(*) FROM collection_batches WHERE kind = 'retry'") >= 1
    assert one(engine, "SELECT COUNT(*) FROM reconciliation_issues") >= 1


def _carry_the_cost(engine: Engine, demo: DemoResult) -> None:
    main = next(p for p in demo.plans if p.plan_id == MAIN)
    assert main.payouts > 0 and main.charged > 0
    backstop = one(
        engine, "SELECT balance FROM ledger_accounts WHERE code = :c", c=f"{MAIN}:backstop"
    )
    assert backstop == main.backstop
    assert 5 * backstop <= main.payouts + main.fee


def _accounts_sign_in(engine: Engine, demo: DemoResult) -> None:
    client = TestClient(create_app(Settings(), engine))
    seen = {}
    for account in demo.accounts:
        body = {"username": account.username, "password": account.password}
        signed = client.post("/v1/auth/token", json=body)
        assert signed.status_code == 200, signed.text
        auth = {"Authorization": f"Bearer {signed.json()['access_token']}"}
        me = client.get("/v1/me", headers=auth).json()
        seen[account.username] = (me["roles"], me["person_id"])
    assert seen["demo-reviewer"][0] == ["reviewer"]
    assert seen["demo-operator"][0] == ["operator"]
    assert seen["demo-auditor"][0] == ["auditor"]
    roles, person_id = seen["demo-member"]
    assert roles == ["member"] and person_id is not None
    mine = "SELECT COUNT(*) FROM memberships WHERE person_id = :p"
    assert one(engine, mine, p=person_id) == 3  # Meituan, Xiang Hu Bao and Qingsong
    inbox = "SELECT COUNT(*) FROM inbox_messages WHERE person_id = :p"
    assert one(engine, inbox, p=person_id) >= 1
    summoned = "SELECT COUNT(*) FROM jurors WHERE person_id = :p"
    assert one(engine, summoned, p=person_id) == 1
    of_member = "x JOIN memberships m ON m.id = x.membership_id WHERE m.person_id = :p"
    assert one(engine, f"SELECT COUNT(*) FROM claims {of_member}", p=person_id) == 1
    assert one(engine, f"SELECT COUNT(*) FROM member_charges {of_member}", p=person_id) >= 1


def test_make_run_s_steps_print_the_accounts_pass_audit_and_verify_and_leave_no_round_due(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUZHU_DEMO_PASSWORD", "demo-password-1")

    def huzhu(now: datetime, *args: str) -> str:
        run = CliRunner().invoke(app, ["--database", database_url, "--now", now.isoformat(), *args])
        assert run.exit_code == 0, run.output
        return run.output

    shown = huzhu(NOW, "demo", "--members", "200", "--months", "4",
                  "--address", "http://demo.example:9000/")  # fmt: skip
    assert "http://demo.example:9000/" in shown and "demo-password-1" in shown
    for username in ("demo-member", "demo-reviewer", "demo-operator", "demo-auditor"):
        assert username in shown
    later = NOW + timedelta(hours=2)
    assert "audit passed" in huzhu(later, "audit")
    assert "verify passed" in huzhu(later, "verify")
    with UnitOfWork(engine) as uow:
        assert audit(uow).ok and verify(uow).ok
    before = one(engine, "SELECT COUNT(*) FROM rounds")
    for plan_id in [*MIX, PREPAID]:
        assert "no round is due" in huzhu(later, "rounds", "run", "--plan", plan_id)
    assert one(engine, "SELECT COUNT(*) FROM rounds") == before


def _person(engine: Engine, username: str) -> int:
    return int(one(engine, "SELECT person_id FROM accounts WHERE username = :u", u=username))


def _prepaid_plan(engine: Engine, demo: DemoResult) -> None:
    """Deposits and top-ups through the gateway, charges from balances, members reminded,
    suspended and given their cover back by a top-up, and the demo member's family."""
    of_plan = "m JOIN memberships x ON x.id = m.membership_id WHERE x.plan_id = :p"
    top_ups = "SELECT COUNT(*) FROM collection_batches m JOIN memberships x ON x.id = \
        m.first_membership_id WHERE x.plan_id = :p AND m.kind = 'top-up' AND m.collected > 0"
    joined = one(engine, "SELECT COUNT(*) FROM memberships WHERE plan_id = :p", p=PREPAID)
    assert joined >= 20
    assert one(engine, top_ups, p=PREPAID) > joined  # every deposit, and top-ups besides
    assert one(engine, f"SELECT SUM(amount) FROM member_charges {of_plan}", p=PREPAID) > 0
    events = rows(engine, f"SELECT m.membership_id, m.reason FROM membership_events {of_plan} "
                  "ORDER BY m.at, m.id", p=PREPAID)  # fmt: skip
    low = {m for m, reason in events if reason == "low-balance"}
    assert low, "some balances ran low and their cover was suspended"
    restored = {m for m, reason in events if reason == "topped-up" and m in low}
    assert restored, "a top-up gave a suspended member their cover back"
    reminders = "SELECT COUNT(*) FROM collection_batches WHERE kind = 'prepaid' AND items > 0"
    assert one(engine, reminders) >= 1
    paid = "SELECT COUNT(*) FROM payouts p JOIN claims c ON c.id = p.claim_id "
    assert one(engine, paid + "WHERE c.plan_id = :p AND p.status = 'paid'", p=PREPAID) == 1
    payer = _person(engine, "demo-member")
    mine = "SELECT id FROM memberships WHERE plan_id = :p AND person_id = :who"
    own = one(engine, mine, p=PREPAID, who=payer)
    child = one(engine, "SELECT id FROM people WHERE guardian_id = :g", g=payer)
    theirs = one(engine, mine, p=PREPAID, who=child)
    with UnitOfWork(engine) as uow:
        family = FamilyRepository(uow.conn)
        (place, held), (child_place, child_held) = (
            family.place_and_balance(own),
            family.place_and_balance(theirs),
        )
        assert (place, child_place) == (1, 2) and held == child_held > 0  # one shared balance
        shown = statement(uow, own, NOW)
        assert shown.balance == held and shown.lines and shown.total_paid > 0
    assert one(engine, top_ups + " AND x.id = :m", p=PREPAID, m=own) >= 2


def _promotion_and_offer(engine: Engine, demo: DemoResult) -> None:
    """Xiang Hu Bao's first month was paid by the operator (on the early member's statement),
    and the member who reached its exit age has the senior plan's offer in their inbox."""
    periods = "SELECT COUNT(*) FROM operator_paid_periods WHERE plan_id = :p AND reason = :r"
    assert one(engine, periods, p=OTHER, r="promotion") == 1
    early = _person(engine, "demo-member")
    mine = "SELECT id FROM memberships WHERE plan_id = :p AND person_id = :who"
    early_membership = one(engine, mine, p=OTHER, who=early)
    with UnitOfWork(engine) as uow:
        shown = statement(uow, early_membership, NOW)
        assert shown.operator_paid and {p.reason for p in shown.operator_paid} == {"promotion"}
        assert any(p.cases for p in shown.operator_paid)  # it paid a case for its members
    senior = _person(engine, SENIOR)
    offers = "SELECT COUNT(*) FROM inbox_messages WHERE person_id = :p AND kind = :k"
    assert one(engine, offers, p=senior, k=successor.OFFER_KIND) == 1
    aged_out = one(engine, mine, p=OTHER, who=senior)
    with UnitOfWork(engine) as uow:
        offer = successor.offer_of(uow, aged_out)
        assert offer is not None and offer.state is successor.OfferState.OFFERED
