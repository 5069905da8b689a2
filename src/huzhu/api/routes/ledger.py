"""The books, for operators and auditors: accounts, transactions, the audit and its log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from huzhu.api.deps import Uow, role
from huzhu.api.pagination import Cursor, Limit, Page, decode, page
from huzhu.api.params import ActionFilter, Moment, PlanIdQuery, QueryId, SubjectFilter
from huzhu.api.problems import ERROR_RESPONSES
from huzhu.api.schemas import (
    money,
)
from huzhu.api.schemas_books import (
    AuditCheckOut,
    AuditLogOut,
    AuditOut,
    LedgerAccountOut,
    LedgerTransactionOut,
    PostingOut,
)
from huzhu.domain.access import Principal, Role
from huzhu.domain.errors import InvalidInput
from huzhu.domain.ledger import DEBIT_NORMAL, AccountKind
from huzhu.services.audit.service import audit

router = APIRouter(prefix="/v1", tags=["ledger and audit"], responses=ERROR_RESPONSES)
Reader = Annotated[Principal, Depends(role(Role.OPERATOR, Role.AUDITOR))]


@router.get("/ledger/accounts")
def ledger_accounts(
    plan_id: PlanIdQuery, _: Reader, uow: Uow, at: Moment = None
) -> list[LedgerAccountOut]:
    """A plan's accounts with their balances (in their normal sign), now or at a past moment."""
    if at is not None and at.tzinfo is None:
        raise InvalidInput("give 'at' with a time zone, e.g. 2026-06-01T00:00:00+08:00", field="at")
    uow.plans.get(plan_id)
    return [
        LedgerAccountOut(
            code=b.code,
            kind=b.kind,
            balance=money(b.balance if AccountKind(b.kind) in DEBIT_NORMAL else -b.balance),
        )
        for b in uow.ledger.balances(plan_id, at)
    ]


@router.get("/ledger/transactions")
def ledger_transactions(
    plan_id: PlanIdQuery, _: Reader, uow: Uow, cursor: Cursor = None, limit: Limit = 50
) -> Page[LedgerTransactionOut]:
    """Transactions of a plan in the order they were posted, with signed postings (debit +)."""
    uow.plans.get(plan_id)
    found = uow.ledger.transactions(plan_id, after_id=decode(cursor), limit=limit)
    items = [
        LedgerTransactionOut(
            id=t.id,
            key=t.key,
            kind=t.kind,
            memo=t.memo,
            posted_at=t.posted_at,
            postings=[PostingOut(account=a, amount=money(f)) for a, f in t.postings],
        )
        for t in found
    ]
    return page(items, limit, found[-1].id if found else None)


@router.get("/audit")
def run_audit(_: Reader, uow: Uow) -> AuditOut:
    """Check every invariant of the books now."""
    report = audit(uow)
    return AuditOut(
        ok=report.ok,
        checks=[
            AuditCheckOut(name=c.name, ok=c.ok, problems=c.problems[:100]) for c in report.checks
        ],
    )


@router.get("/audit-log")
def audit_log(
    _: Reader,
    uow: Uow,
    action: ActionFilter = None,
    actor_account_id: QueryId = None,
    subject: SubjectFilter = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[AuditLogOut]:
    """Who did what and when: every state change made through the API."""
    rows = uow.audit_log.page(
        after_id=decode(cursor), limit=limit, action=action, actor=actor_account_id, subject=subject
    )
    items = [
        AuditLogOut(
            id=r.id,
            at=r.at,
            actor_account_id=r.actor_account_id,
            action=r.action,
            subject=r.subject,
            details=r.details,
        )
        for r in rows
    ]
    return page(items, limit, rows[-1].id if rows else None)
