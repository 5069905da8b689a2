"""Request dependencies: one unit of work per request, the caller, the clock."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from huzhu.api.capacity import request_slot
from huzhu.api.settings import Settings as Settings  # re-exported: web imports only api.deps
from huzhu.domain.access import Principal, Role
from huzhu.domain.errors import Forbidden, Unauthenticated
from huzhu.services.accounts.service import digest, resolve
from huzhu.storage.uow import UnitOfWork

SESSION_COOKIE = "huzhu_session"
CSRF_COOKIE = "huzhu_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_uow(
    request: Request, _slot: Annotated[None, Depends(request_slot)]
) -> Iterator[UnitOfWork]:
    """The request's transaction: endpoints commit it; anything else rolls back. Safe methods
    only read, so their transaction does not take SQLite's write lock."""
    read_only = request.method in SAFE_METHODS
    with UnitOfWork(request.app.state.engine, read_only=read_only) as uow:
        yield uow


def get_now(request: Request) -> datetime:
    clock: Callable[[], datetime] | None = request.app.state.clock
    return clock() if clock else datetime.now(UTC)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Uow = Annotated[UnitOfWork, Depends(get_uow)]
Now = Annotated[datetime, Depends(get_now)]
Config = Annotated[Settings, Depends(get_settings)]


def session_token(request: Request) -> tuple[str | None, bool]:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else (None, False)


def optional_principal(request: Request, uow: Uow, now: Now) -> Principal | None:
    token, from_cookie = session_token(request)
    if token is None:
        return None
    principal, csrf_hash = resolve(uow, token, now)
    if from_cookie and request.method not in SAFE_METHODS:
        # Double-submit check: a cross-site form cannot read our cookie to echo it back.
        sent = request.headers.get(CSRF_HEADER, "")
        if not csrf_hash or not hmac.compare_digest(digest(sent), csrf_hash):
            raise Forbidden("missing or wrong CSRF token", code="csrf-failed")
    return principal


def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise Unauthenticated("sign in first: send 'Authorization: Bearer <token>'")
    return principal


Caller = Annotated[Principal, Depends(current_principal)]
MaybeCaller = Annotated[Principal | None, Depends(optional_principal)]


def role(*roles: Role) -> Callable[[Principal], Principal]:
    def check(principal: Caller) -> Principal:
        principal.require(*roles)
        return principal

    return check
