"""Registration, sign-in (bearer token or cookie session), host-app assertions, sign-out."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from huzhu.api.client_address import client_address
from huzhu.api.deps import CSRF_COOKIE, SESSION_COOKIE, Caller, Config, Now, Uow
from huzhu.api.problems import ERROR_RESPONSES
from huzhu.api.schemas_accounts import (
    AccountOut,
    AssertionIn,
    CookieSessionOut,
    RegisterIn,
    SignInIn,
    TokenOut,
)
from huzhu.api.settings import Settings
from huzhu.api.sign_in_guard import SignInGuard
from huzhu.domain.errors import Unauthenticated
from huzhu.services.accounts import service as svc
from huzhu.services.events import record
from huzhu.storage.repositories.accounts.repository import Account

router = APIRouter(prefix="/v1", tags=["accounts"], responses=ERROR_RESPONSES)


def _client(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return client_address(request, settings.trusted_proxies)


def _guard(request: Request, username: str) -> SignInGuard:
    state = request.app.state
    return SignInGuard(
        state.limiter, state.known_addresses, state.settings, _client(request), username
    )


def _authenticate(uow: Uow, request: Request, body: SignInIn) -> Account:
    guard = _guard(request, body.username)
    guard.before()
    try:
        account = svc.authenticate(uow, body.username, body.password)
    except Unauthenticated:
        guard.failed()
        raise
    guard.succeeded()
    return account


def account_out(uow: Uow, account_id: int) -> AccountOut:
    a = uow.accounts.get(account_id)
    return AccountOut(
        id=a.id,
        username=a.username,
        roles=sorted(r.value for r in a.roles),
        person_id=a.person_id,
        host_app_id=a.host_app_id,
        created_at=a.created_at,
    )


@router.post("/accounts", status_code=201)
def register(
    body: RegisterIn, request: Request, uow: Uow, now: Now, settings: Config
) -> AccountOut:
    """Create a member account with a username and a password (hashed with argon2id)."""
    request.app.state.limiter.hit(settings.sign_in_limit, "register", _client(request))
    account_id = svc.register(uow, body.username, body.password, now)
    record(uow, account_id, "account.registered", f"account:{account_id}", {}, now)
    out = account_out(uow, account_id)
    uow.commit()
    return out


@router.post("/auth/token")
def sign_in(body: SignInIn, request: Request, uow: Uow, now: Now, settings: Config) -> TokenOut:
    """Exchange a username and password for a bearer token (for API clients)."""
    account = _authenticate(uow, request, body)
    issued = svc.open_session(uow, account.id, now, cookie=False, ttl=settings.session_ttl)
    uow.commit()
    return TokenOut(access_token=issued.token, expires_at=issued.expires_at, account_id=account.id)


@router.post("/auth/session")
def open_cookie_session(
    body: SignInIn, request: Request, response: Response, uow: Uow, now: Now, settings: Config
) -> CookieSessionOut:
    """Sign in for the web portal: an HttpOnly session cookie plus a CSRF token.

    Unsafe requests made with the cookie must echo the CSRF token in the X-CSRF-Token header.
    """
    account = _authenticate(uow, request, body)
    issued = svc.open_session(uow, account.id, now, cookie=True, ttl=settings.session_ttl)
    uow.commit()
    max_age = int(settings.session_ttl.total_seconds())
    response.set_cookie(
        SESSION_COOKIE, issued.token, max_age=max_age, httponly=True, samesite="strict",
        secure=settings.cookie_secure, path="/",
    )  # fmt: skip
    response.set_cookie(
        CSRF_COOKIE, issued.csrf_token or "", max_age=max_age, httponly=False, samesite="strict",
        secure=settings.cookie_secure, path="/",
    )  # fmt: skip
    return CookieSessionOut(
        account_id=account.id, csrf_token=issued.csrf_token or "", expires_at=issued.expires_at
    )


@router.post("/auth/host-assertion")
def host_sign_in(
    body: AssertionIn, request: Request, uow: Uow, now: Now, settings: Config
) -> TokenOut:
    """A registered host app signs in its user with an HS256 JWT assertion; no password needed."""
    request.app.state.limiter.hit(settings.sign_in_limit, "assertion", body.app, _client(request))
    issued = svc.exchange_assertion(uow, body.app, body.assertion, now, settings.session_ttl)
    uow.commit()
    return TokenOut(
        access_token=issued.token, expires_at=issued.expires_at, account_id=issued.account_id
    )


@router.post("/auth/logout", status_code=204)
def sign_out(principal: Caller, uow: Uow, now: Now, response: Response) -> None:
    """End the current session (bearer or cookie)."""
    if principal.session_id is not None:
        uow.accounts.revoke_session(principal.session_id, now)
        uow.commit()
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
