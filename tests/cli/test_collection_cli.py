"""What `huzhu gateway pump`, `huzhu payouts run`, `huzhu audit` and `huzhu topup` tell an operator
while a post-paid round's money is moving, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from clikit import said as cli
from sqlalchemy import Engine

from money.moneykit import build, run

COLLECT = ("collect", "--plan", "pp", "--date", "2026-01-11", "--batch-size", "15")


@pytest.fixture
def url(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HUZHU_SANDBOX_GATEWAY_FAILURE_BP", "0")
    monkeypatch.setenv("HUZHU_SANDBOX_GATEWAY_DUPLICATE_BP", "0")
    monkeypatch.setenv("HUZHU_SANDBOX_GATEWAY_DELAY_S", "60")
    build(engine, "meituan-huzhu", "pp", 40)
    run(engine, "pp", "2026-01-11")
    return database_url


def test_pump_says_when_the_sandbox_will_answer(url: str) -> None:
    cli(url, "2026-01-15T10:00", *COLLECT)
    early = cli(url, "2026-01-15T10:00:30", "gateway", "pump")
    # Before: "0 callback(s) accepted", and nothing about the sandbox's delay.
    assert "0 callback(s) accepted" in early
    assert "3 more not due yet: the sandbox answers 60 s after each instruction" in early
    assert "next is due at 2026-01-15T10:01:00+08:00" in early
    assert "3 callback(s) accepted" in cli(url, "2026-01-15T10:05", "gateway", "pump")
    assert "nothing is outstanding" in cli(url, "2026-01-15T10:06", "gateway", "pump")


def test_payouts_run_says_what_was_sent_and_awaits_an_answer(url: str) -> None:
    cli(url, "2026-01-15T10:00", *COLLECT)
    cli(url, "2026-01-15T10:05", "gateway", "pump")
    paid = cli(url, "2026-01-15T11:00", "payouts", "run", "--plan", "pp", "--date", "2026-01-11")
    # Before: "1 payout(s) sent, 0 resent, 0 paid, 0 awaiting the gateway".
    assert "1 payout(s) sent now (0 of them resent after a failure), awaiting the gateway's" in paid
    assert "0 awaiting" not in paid


def test_audit_shows_money_in_flight_as_pending_and_fails_when_overdue(url: str) -> None:
    cli(url, "2026-01-15T10:00", *COLLECT)
    cli(url, "2026-01-15T10:05", "gateway", "pump")
    # Before: "FAIL clearing accounts net to zero ... pp:gateway-clearing holds 108000, expected 0".
    audited = cli(url, "2026-01-15T12:05", "audit")
    assert "audit passed" in audited
    assert (
        "pending: pp:gateway-clearing 1,080.00 yuan in flight (3 movement(s) awaiting "
        "`huzhu reconcile`, oldest confirmed 2 h ago)"
    ) in audited
    late = cli(url, "2026-01-19T10:06", "audit", code=1)
    assert "FAIL gateway clearing holds only money in flight, none overdue" in late
    assert "debit pp-20260111-d1 (" in late and "overdue, not reconciled within 3 days" in late
    assert "audit failed" in late
    for day in ("2026-01-15",):
        assert "0 issue(s)" in cli(url, f"{day}T23:00", "reconcile", "--date", day)
    cleared = cli(url, "2026-01-19T10:07", "audit")
    assert "audit passed" in cleared and "pending" not in cleared


def test_a_top_up_on_a_post_paid_plan_is_refused(url: str) -> None:
    for args in (("topup",), ("collect", "topup")):
        refused = cli(url, "2026-01-15T10:00", *args, "--membership", "1", "--amount", "10",
                      "--key", "k1", code=2)  # fmt: skip
        assert "plan-not-prepaid" in refused and "membership" in refused
    assert "audit passed" in cli(url, "2026-01-15T10:01", "audit")
