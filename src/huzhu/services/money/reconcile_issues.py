"""Resolving a reconciliation issue: an operator looked into a difference between the gateway's
statement and the books and writes down what they found and did.

Resolving moves no money (a correction is its own transaction, posted by the ledger's tools); it
closes the issue with a note, so that the audit stops reporting it, and writes who did it to the
audit log. An issue is resolved once: a second attempt is refused, never overwritten.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row

from huzhu.domain.access import Principal, Role
from huzhu.domain.errors import Conflict, InvalidInput, NotFound
from huzhu.services.events import record
from huzhu.storage.repositories.money.reconciliation import ReconciliationRepository
from huzhu.storage.uow import UnitOfWork

NOTE_MAX = 2000


def repo(uow: UnitOfWork) -> ReconciliationRepository:
    return ReconciliationRepository(uow.conn)


def open_issues(uow: UnitOfWork, limit: int = 50) -> list[Row[Any]]:
    return repo(uow).listed(resolved=False, limit=limit)


def resolved_issues(uow: UnitOfWork, limit: int = 20) -> list[Row[Any]]:
    return repo(uow).listed(resolved=True, limit=limit)


def resolve_issue(
    uow: UnitOfWork, principal: Principal, issue_id: int, note: str, now: datetime
) -> None:
    principal.require(Role.OPERATOR)
    note = note.strip()
    if not note:
        raise InvalidInput(
            "say what you found and did", code="resolution-note-missing", field="note"
        )
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"at most {NOTE_MAX} characters", field="note")
    issue = repo(uow).get(issue_id)
    if issue is None:
        raise NotFound(f"no reconciliation issue {issue_id}", code="unknown-issue", field="issue")
    if not repo(uow).resolve(issue_id, principal.account_id, note, now):
        raise Conflict(
            f"reconciliation issue {issue_id} is already resolved",
            code="issue-already-resolved",
            field="issue",
        )
    details = {"ref": issue.ref, "kind": issue.kind, "note": note}
    record(uow, principal.account_id, "reconciliation.resolved", f"issue:{issue_id}", details, now)
