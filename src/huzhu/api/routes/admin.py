"""Operators manage accounts' roles and register host apps; webhook deliveries are inspectable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from huzhu.api.deps import Now, Uow, role
from huzhu.api.pagination import Cursor, Limit, Page, decode, page
from huzhu.api.params import PathId, QueryId
from huzhu.api.problems import ERROR_RESPONSES
from huzhu.api.routes.auth import account_out
from huzhu.api.schemas_accounts import AccountOut, HostAppIn, HostAppOut, RolesIn, WebhookSecretOut
from huzhu.api.schemas_books import WebhookEventOut
from huzhu.domain.access import Principal, Role
from huzhu.domain.errors import Conflict
from huzhu.services.accounts.service import create_host_app, rotate_webhook_secret
from huzhu.services.events import record
from huzhu.services.messaging.webhooks import ROTATION_OVERLAP

router = APIRouter(prefix="/v1", tags=["administration"], responses=ERROR_RESPONSES)
Operator = Annotated[Principal, Depends(role(Role.OPERATOR))]
Reader = Annotated[Principal, Depends(role(Role.OPERATOR, Role.AUDITOR))]


@router.get("/accounts")
def list_accounts(
    _: Reader, uow: Uow, cursor: Cursor = None, limit: Limit = 50
) -> Page[AccountOut]:
    found = uow.accounts.page(decode(cursor), limit)
    return page([account_out(uow, a.id) for a in found], limit, found[-1].id if found else None)


@router.put("/accounts/{account_id}/roles")
def set_roles(
    account_id: PathId, body: RolesIn, principal: Operator, uow: Uow, now: Now
) -> AccountOut:
    """Replace an account's roles. An operator cannot remove their own operator role."""
    before = uow.accounts.get(account_id)
    roles = frozenset(Role(r) for r in body.roles)
    if account_id == principal.account_id and Role.OPERATOR not in roles:
        raise Conflict("you cannot remove your own operator role", code="cannot-demote-self")
    uow.accounts.set_roles(account_id, roles)
    details = {
        "before": sorted(r.value for r in before.roles),
        "after": sorted(r.value for r in roles),
    }
    record(
        uow, principal.account_id, "account.roles-changed", f"account:{account_id}", details, now
    )
    out = account_out(uow, account_id)
    uow.commit()
    return out


@router.post("/host-apps", status_code=201)
def register_host_app(body: HostAppIn, principal: Operator, uow: Uow, now: Now) -> HostAppOut:
    """Register a host app. Its secrets are shown once: keep them in the host app's vault."""
    app = create_host_app(uow, body.name, body.webhook_url, now)
    record(
        uow,
        principal.account_id,
        "host-app.registered",
        f"host-app:{app.id}",
        {"name": app.name},
        now,
    )
    uow.commit()
    return HostAppOut(
        id=app.id,
        name=app.name,
        assertion_secret=app.assertion_secret,
        webhook_secret=app.webhook_secret,
    )


@router.post("/host-apps/{host_app_id}/webhook-secret")
def new_webhook_secret(
    host_app_id: PathId, principal: Operator, uow: Uow, now: Now
) -> WebhookSecretOut:
    """Rotate a host app's webhook secret. For a day, every event is signed with both the new
    secret and the old one, so the host app can switch over without refusing any."""
    secret = rotate_webhook_secret(uow, host_app_id, now)
    record(uow, principal.account_id, "host-app.webhook-secret-rotated", f"host-app:{host_app_id}",
           {}, now)  # fmt: skip
    uow.commit()
    return WebhookSecretOut(webhook_secret=secret, previous_valid_until=now + ROTATION_OVERLAP)


@router.get("/webhook-events")
def webhook_events(
    _: Reader, uow: Uow, host_app_id: QueryId = None, cursor: Cursor = None, limit: Limit = 50
) -> Page[WebhookEventOut]:
    """Events queued for host apps, with their delivery state."""
    rows = uow.webhooks.events(after_id=decode(cursor), limit=limit, host_app_id=host_app_id)
    items = [
        WebhookEventOut(
            id=r.id,
            host_app_id=r.host_app_id,
            type=r.type,
            payload=r.payload,
            created_at=r.created_at,
            attempts=r.attempts,
            delivered_at=r.delivered_at,
            failed_at=r.failed_at,
        )
        for r in rows
    ]
    return page(items, limit, rows[-1].id if rows else None)
