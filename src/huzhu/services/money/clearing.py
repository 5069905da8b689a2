"""The audit's view of gateway-clearing: money in flight is normal, money wrong or late is not.

Between the gateway confirming a movement (a debit batch settled, a payout paid) and the day's
statement being reconciled (`huzhu reconcile`), the money sits in the plan's gateway-clearing
account. That is collection working, not a fault, so the audit shows it as pending, with its age.
The check fails only when
- clearing holds a different sum from the movements awaiting reconciliation (the books are wrong);
- a movement awaiting reconciliation has a reconciliation issue recorded against it (the
  statement disagreed, or left it out);
- a movement is overdue: confirmed more than `RECONCILE_WITHIN` ago and still not reconciled.
  Gateways publish a statement every day, so three days means statements were missed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from huzhu.domain.ledger import AccountKind, account_code
from huzhu.domain.money import format_yuan
from huzhu.storage.repositories.money.clearing import ClearingRepository, InFlight
from huzhu.storage.uow import UnitOfWork

RECONCILE_WITHIN = timedelta(days=3)


def age_text(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours < 1:
        return "under an hour"
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} days"


def yuan(fen: int | Decimal) -> str:
    """Fen as yuan for a report line (PostgreSQL's SUM answers a Decimal)."""
    return f"{format_yuan(int(fen))} yuan"


def _plan_lines(
    code: str, held: int, items: list[InFlight], issues: dict[str, list[str]], now: datetime
) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    expected = sum(i.amount for i in items)
    if held != expected:
        problems.append(
            f"{code} holds {yuan(held)}, but the movements awaiting reconciliation come to "
            f"{yuan(expected)}"
        )
    for i in items:
        age = age_text(now - i.confirmed_at)
        what = f"{i.kind} {i.ref} ({yuan(abs(i.amount))}, confirmed {age} ago)"
        if i.ref in issues:
            problems.append(f"{what}: reconciliation found {', '.join(issues[i.ref])}")
        elif now - i.confirmed_at > RECONCILE_WITHIN:
            problems.append(f"{what}: overdue, not reconciled within {RECONCILE_WITHIN.days} days")
    notes: list[str] = []
    if items:
        oldest = min(i.confirmed_at for i in items)
        notes.append(
            f"pending: {code} {yuan(held)} in flight ({len(items)} movement(s) awaiting "
            f"`huzhu reconcile`, oldest confirmed {age_text(now - oldest)} ago)"
        )
    return problems, notes


def check_clearing(
    uow: UnitOfWork, plan_ids: list[str], now: datetime
) -> tuple[list[str], list[str]]:
    """(problems, notes) for every plan's gateway-clearing account."""
    repo = ClearingRepository(uow.conn)
    all_problems: list[str] = []
    all_notes: list[str] = []
    pending = repo.in_flight()
    issues = repo.issues_of([i.ref for i in pending])
    for plan_id in plan_ids:
        code = account_code(plan_id, AccountKind.GATEWAY_CLEARING)
        held = uow.ledger.balance(code)
        items = [i for i in pending if i.plan_id == plan_id]
        problems, notes = _plan_lines(code, held, items, issues, now)
        all_problems.extend(problems)
        all_notes.extend(notes)
    return all_problems, all_notes
