"""Accounts: registration, sign-in, sessions, host-app assertions and roles."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from huzhu.domain.access import Principal, Role
from huzhu.domain.errors import Conflict, InvalidInput, Unauthenticated
from huzhu.services.messaging import webhooks
from huzhu.storage.repositories.accounts.repository import Account
from huzhu.storage.uow import UnitOfWork

# argon2id with the library's defaults (RFC 9106 low-memory profile).
HASHER = PasswordHasher()
_DUMMY_HASH = HASHER.hash("huzhu-timing-equaliser")
USERNAME = re.compile(r"^[A-Za-z0-9_.@+-]{3,64}$")
ASSERTION_AUDIENCE = "huzhu"
ASSERTION_MAX_AGE = timedelta(minutes=10)
LEEWAY_S = 30  # clock skew tolerated between a host app and huzhu


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedSession:
    account_id: int
    token: str
    csrf_token: str | None
    expires_at: datetime


# zxcvbn's score (0-4) a password needs; 3 is "safely unguessable: moderate protection from an
# offline attack", the level its authors recommend for accounts.
MIN_STRENGTH = 3
# zxcvbn refuses longer input and its time grows fast with length; a password longer than this is
# judged by its first STRENGTH_CHARS characters.
STRENGTH_CHARS = 72


def _strength(text: str, hints: list[str]) -> tuple[int, str]:
    found = zxcvbn(text[:STRENGTH_CHARS], user_inputs=hints)
    feedback = found.get("feedback") or {}
    advice = " ".join([feedback.get("warning") or "", *(feedback.get("suggestions") or [])])
    return int(found["score"]), advice.strip()


def check_password_rules(password: str, username: str | None = None) -> None:
    """Long enough, and not guessable: not a common password, a keyboard walk, a date, nor one
    made from the username (as it is, reversed, or in parts), judged by zxcvbn. Spaces are part
    of the password: it is never trimmed."""
    if not 10 <= len(password) <= 256:
        raise InvalidInput(
            "a password needs 10 to 256 characters", code="weak-password", field="password"
        )
    hints = ["huzhu", "mutual aid"]
    if username:
        name = username.casefold()
        parts = [name, *(p for p in re.split(r"[._@+-]", name) if len(p) >= 3)]
        hints += [*parts, *(p[::-1] for p in parts)]
    score, advice = _strength(password, hints)
    if score >= MIN_STRENGTH and username:
        # zxcvbn scores "alice" + a strong-looking tail by the tail; what is left once the
        # username is taken out has to stand on its own.
        rest = password.casefold()
        for hint in hints[2:]:
            rest = rest.replace(hint, "")
        if rest != password.casefold():
            score, advice = _strength(rest, hints) if rest.strip() else (0, advice)
            advice = advice or "do not build the password from the username"
    if score < MIN_STRENGTH:
        raise InvalidInput(
            f"this password is easy to guess. {advice}".strip(),
            code="guessable-password",
            field="password",
        )


def register(
    uow: UnitOfWork,
    username: str,
    password: str,
    now: datetime,
    roles: frozenset[Role] | None = None,
) -> int:
    if not USERNAME.match(username):
        raise InvalidInput(
            "a username is 3 to 64 letters, digits or _.@+-", code="bad-username", field="username"
        )
    check_password_rules(password, username)
    if uow.accounts.by_username(username) is not None:
        raise Conflict("that username is taken", code="username-taken", field="username")
    return uow.accounts.add(
        now=now,
        roles=roles or frozenset({Role.MEMBER}),
        username=username,
        password_hash=HASHER.hash(password),
    )


def authenticate(uow: UnitOfWork, username: str, password: str) -> Account:
    """The account for these credentials; the same error for an unknown name and a bad password."""
    account = uow.accounts.by_username(username)
    stored = account.password_hash if account and account.password_hash else _DUMMY_HASH
    ok = _verifies(stored, password)
    rehash = HASHER.check_needs_rehash(stored)
    if not ok and password != password.strip() and _verifies(stored, password.strip()):
        # Passwords were once trimmed before hashing; such an account signs in with what it
        # typed, and its hash is made anew from the password as typed.
        ok = rehash = True
    ok = ok and account is not None and account.password_hash is not None
    if not ok or account is None or account.disabled_at is not None:
        raise Unauthenticated("wrong username or password", code="bad-credentials")
    if rehash:
        uow.accounts.set_password(account.id, HASHER.hash(password))
    return account


def _verifies(stored: str, password: str) -> bool:
    try:
        return bool(HASHER.verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False


def open_session(
    uow: UnitOfWork, account_id: int, now: datetime, *, cookie: bool, ttl: timedelta
) -> IssuedSession:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32) if cookie else None
    expires = now + ttl
    uow.accounts.add_session(
        account_id,
        digest(token),
        digest(csrf) if csrf else None,
        "cookie" if cookie else "bearer",
        now,
        expires,
    )
    return IssuedSession(account_id, token, csrf, expires)


def resolve(uow: UnitOfWork, token: str, now: datetime) -> tuple[Principal, str | None]:
    found = uow.accounts.principal_for(digest(token), now)
    if found is None:
        raise Unauthenticated("the session is unknown, expired or signed out", code="bad-token")
    return found


def exchange_assertion(
    uow: UnitOfWork,
    app_name: str,
    assertion: str,
    now: datetime,
    ttl: timedelta,
    *,
    cookie: bool = False,
) -> IssuedSession:
    """A registered host app vouches for its user with an HS256-signed JWT.

    Required claims: sub (the app's user id), aud = "huzhu", iat, exp (at most 10 minutes after
    iat) and jti (a nonce: an assertion is accepted once). The API answers a bearer token; the
    web portal asks for a `cookie` session.
    """
    app = uow.accounts.host_app_by_name(app_name)
    if app is None:
        raise Unauthenticated("unknown host app", code="bad-assertion")
    try:
        claims = jwt.decode(
            assertion,
            app.assertion_secret,
            algorithms=["HS256"],
            audience=ASSERTION_AUDIENCE,
            options={"require": ["sub", "iat", "exp", "jti", "aud"]},
            leeway=LEEWAY_S,
        )
    except jwt.PyJWTError as e:
        raise Unauthenticated(f"the assertion is not valid: {e}", code="bad-assertion") from None
    issued = datetime.fromtimestamp(int(claims["iat"]), UTC)
    expires = datetime.fromtimestamp(int(claims["exp"]), UTC)
    if expires - issued > ASSERTION_MAX_AGE or issued > now + timedelta(seconds=30):
        raise Unauthenticated(
            "the assertion lives too long or is from the future", code="bad-assertion"
        )
    # Remember the nonce for as long as the assertion could still be accepted (leeway included).
    remember_until = expires + timedelta(seconds=LEEWAY_S)
    if not uow.accounts.use_nonce(app.id, str(claims["jti"])[:128], remember_until, now):
        raise Unauthenticated("this assertion was already used", code="assertion-replayed")
    external = str(claims["sub"])[:128]
    account = uow.accounts.by_external(app.id, external)
    account_id = (
        account.id
        if account
        else uow.accounts.add(
            now=now, roles=frozenset({Role.MEMBER}), host_app_id=app.id, external_id=external
        )
    )
    return open_session(uow, account_id, now, cookie=cookie, ttl=ttl)


@dataclass(frozen=True)
class NewHostApp:
    id: int
    name: str
    assertion_secret: str
    webhook_secret: str


def create_host_app(
    uow: UnitOfWork, name: str, webhook_url: str | None, now: datetime
) -> NewHostApp:
    if uow.accounts.host_app_by_name(name) is not None:
        raise Conflict("a host app with that name exists", code="host-app-exists", field="name")
    assertion_secret = secrets.token_urlsafe(32)
    webhook_secret = webhooks.new_secret()
    app_id = uow.accounts.add_host_app(name, assertion_secret, webhook_url, webhook_secret, now)
    return NewHostApp(app_id, name, assertion_secret, webhook_secret)


def rotate_webhook_secret(uow: UnitOfWork, host_app_id: int, now: datetime) -> str:
    """A new webhook secret for the host app; events are signed with the old one as well for
    `webhooks.ROTATION_OVERLAP`, so the host app can switch without refusing any."""
    uow.accounts.host_app(host_app_id)  # NotFound for an unknown app
    secret = webhooks.new_secret()
    uow.accounts.rotate_webhook_secret(host_app_id, secret, now + webhooks.ROTATION_OVERLAP)
    return secret
