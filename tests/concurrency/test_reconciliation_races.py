"""Operators resolving the same reconciliation issue at the same moment on PostgreSQL: one note is
kept, every other attempt is refused (409 issue-already-resolved) and audited nowhere."""

from __future__ import annotations

from datetime import date
from functools import partial

from racekit import one_winner, race
from sqlalchemy import Engine, text

from helpers import at
from huzhu.domain.access import Principal, Role
from huzhu.services.accounts.service import register
from huzhu.services.money.reconcile_issues import resolve_issue
from huzhu.storage.uow import UnitOfWork

N = 6
NOW = at("2026-03-20")


def _resolve(engine: Engine, who: Principal, issue_id: int, note: str) -> None:
    with UnitOfWork(engine) as uow:
        resolve_issue(uow, who, issue_id, note, NOW)
        uow.commit()


def test_an_issue_resolved_by_many_at_once_is_resolved_once(postgres: Engine) -> None:
    with UnitOfWork(postgres) as uow:
        operators = [
            Principal(register(uow, f"op{i}", "a long enough pw", NOW, frozenset({Role.OPERATOR})),
                      frozenset({Role.OPERATOR}))
            for i in range(N)
        ]  # fmt: skip
        uow.payments.add_issue(
            {"run_at": NOW, "gateway": "sandbox", "statement_date": date(2026, 3, 19),
             "ref": "r-1", "kind": "unknown-ref", "expected": None, "actual": 100, "detail": "?"}
        )  # fmt: skip
        uow.commit()
    with postgres.connect() as conn:
        issue_id = int(conn.scalar(text("SELECT id FROM reconciliation_issues")) or 0)
    calls = [
        partial(_resolve, postgres, who, issue_id, f"note {i}") for i, who in enumerate(operators)
    ]
    outcomes = race(calls)
    one_winner(outcomes, "409 issue-already-resolved")
    won = next(i for i, o in enumerate(outcomes) if o.label == "ok")
    with postgres.connect() as conn:
        kept = conn.execute(text("SELECT resolved_by, resolution FROM reconciliation_issues")).one()
        audited = conn.scalar(
            text("SELECT count(*) FROM audit_log WHERE action = 'reconciliation.resolved'")
        )
    assert tuple(kept) == (operators[won].account_id, f"note {won}")
    assert audited == 1
