"""Issue 9: `huzhu plans close`, `plans refund` and `plans promote` from the command line."""

from __future__ import annotations

from clikit import init, ok, refused, text
from sqlalchemy import Engine
from sqlalchemy import text as sql


def test_plans_close_then_refuses_a_second_close_and_verify_passes(
    engine: Engine, database_url: str
) -> None:
    init(database_url)
    reversed_ = ("plans", "close", "xiang-hu-bao", "--notice-date", "2026-02-01",
                 "--end-date", "2026-01-31")  # fmt: skip
    refused(engine, database_url, *reversed_, codes=("end-before-notice",))
    args = ("plans", "close", "xiang-hu-bao", "--notice-date", "2026-01-10",
            "--end-date", "2026-01-31")  # fmt: skip
    closed = text(ok(database_url, *args).stdout)
    assert "no joins and no shares from 2026-01-10" in closed
    assert "claims until 2026-07-30" in closed
    assert "plans refund xiang-hu-bao" in closed  # the notice has not come: refunds wait
    refused(engine, database_url, *args, codes=("plan-closed",))
    refused(engine, database_url, "plans", "refund", "xiang-hu-bao", codes=("refund-not-due",))
    sent = text(
        ok(database_url, "plans", "refund", "xiang-hu-bao", now="2026-01-10T12:00:00+08:00").stdout
    )
    assert "refunds sent to 0 member(s)" in sent
    ok(database_url, "verify")
    with engine.connect() as conn:
        kinds = list(conn.scalars(sql("SELECT kind FROM public_log ORDER BY seq")))
    assert kinds[-3:] == ["operator-paid-period", "plan-closing", "plan-refunds"]


def test_plans_promote_marks_a_period_operator_paid(engine: Engine, database_url: str) -> None:
    init(database_url)
    promoted = ok(database_url, "plans", "promote", "xiang-hu-bao", "--from", "2026-01-07",
                  "--to", "2026-01-21", "--note", "the first month is free")  # fmt: skip
    assert "rounds announced 2026-01-07 to 2026-01-21 are paid by the operator" in text(
        promoted.stdout
    )
    refused(engine, database_url, "plans", "promote", "xiang-hu-bao", "--from", "2026-01-21",
            "--to", "2026-01-07", codes=("period-reversed",))  # fmt: skip
