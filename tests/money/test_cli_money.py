"""`huzhu collect`, `huzhu gateway pump`, `huzhu payouts run` and `huzhu reconcile` end to end."""

from __future__ import annotations

import pytest
from moneykit import build, run
from sqlalchemy import Engine

from cli.clikit import said as cli


def test_a_post_paid_round_through_the_command_line(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUZHU_SANDBOX_GATEWAY_FAILURE_BP", "1000")
    monkeypatch.setenv("HUZHU_SANDBOX_GATEWAY_DELAY_S", "60")
    build(engine, "meituan-huzhu", "pp", 40)
    run(engine, "pp", "2026-01-11")
    url = database_url
    args = ("collect", "--plan", "pp", "--date", "2026-01-11", "--batch-size", "15")

    w_member = "3"  # joined with the others; owes 27.00 yuan (1,080 yuan over 40 members)
    told = cli(url, "2026-01-12T10:00", "collect", "notices", "--membership", w_member)
    assert "27.00 yuan, due on 2026-01-15" in told and "You may leave the plan before then" in told
    early = cli(url, "2026-01-14T10:00", *args, code=2)
    assert "collection-not-due" in early and "2026-01-15" in early
    assert "3 batch(es) sent now, 40 members" in cli(url, "2026-01-15T10:00", *args)
    assert "0 batch(es) sent now" in cli(url, "2026-01-15T10:01", *args)
    waiting = cli(url, "2026-01-15T10:02", "payouts", "run", "--plan", "pp", "--date", "2026-01-11",
                  code=2)  # fmt: skip
    assert "collection-not-settled" in waiting
    assert "3 callback(s) accepted" in cli(url, "2026-01-15T10:05", "gateway", "pump")
    cli(url, "2026-01-15T10:30", "gateway", "pump")
    status = cli(url, "2026-01-15T10:31", "collect", "status", "--plan", "pp", "--date",
                 "2026-01-11")  # fmt: skip
    assert "pp-20260111-d3" in status and "settled" in status
    paid = cli(url, "2026-01-15T11:00", "payouts", "run", "--plan", "pp", "--date", "2026-01-11")
    assert "1 payout(s) sent" in paid
    cli(url, "2026-01-15T11:05", "gateway", "pump")
    cli(url, "2026-01-15T11:10", "gateway", "pump")
    assert "applied" in cli(url, "2026-01-15T11:11", "gateway", "log")
    cli(url, "2026-01-16T10:00", "collect", "retry", "--plan", "pp")
    for minute in ("05", "10"):
        cli(url, f"2026-01-16T10:{minute}", "gateway", "pump")
    for day in ("2026-01-15", "2026-01-16"):
        assert "0 issue(s)" in cli(url, f"{day}T23:00", "reconcile", "--date", day)
    assert "audit passed" in cli(url, "2026-01-16T23:30", "audit")
