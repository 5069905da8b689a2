"""Response bodies of the books: ledger accounts and transactions, the audit, the audit log and
webhook deliveries. Money is integer fen with its currency (`Money`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from huzhu.api.schemas import Money


class LedgerAccountOut(BaseModel):
    code: str
    kind: str
    balance: Money


class PostingOut(BaseModel):
    account: str
    amount: Money


class LedgerTransactionOut(BaseModel):
    id: int
    key: str
    kind: str
    memo: str
    posted_at: datetime
    postings: list[PostingOut]


class AuditCheckOut(BaseModel):
    name: str
    ok: bool
    problems: list[str]


class AuditOut(BaseModel):
    ok: bool
    checks: list[AuditCheckOut]


class AuditLogOut(BaseModel):
    id: int
    at: datetime
    actor_account_id: int | None
    action: str
    subject: str
    details: dict[str, object]


class WebhookEventOut(BaseModel):
    id: int
    host_app_id: int
    type: str
    payload: dict[str, object]
    created_at: datetime
    attempts: int
    delivered_at: datetime | None
    failed_at: datetime | None
