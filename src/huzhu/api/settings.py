"""Server settings, from the environment (HUZHU_*) with safe defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta


def _env(name: str, default: str) -> str:
    return os.environ.get(f"HUZHU_{name}", default)


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    session_ttl: timedelta = timedelta(hours=12)
    max_body_bytes: int = 64 * 1024
    # Per client: sign-in per address and username; joins per account.
    sign_in_limit: str = "10/minute"
    # Sign-in from one address over all usernames, and failed sign-ins to one username from
    # addresses it never signed in from (api/sign_in_guard.py says why).
    sign_in_address_limit: str = "30/minute"
    sign_in_user_limit: str = "30/hour"
    join_limit: str = "30/minute"
    # The sandbox credit provider's score for people with none on file. A real deployment plugs
    # in the host app's credit service instead.
    sandbox_credit_score: int | None = 700
    # Cookies go only over HTTPS unless HUZHU_LOCAL_DEV=1 says this is a developer's machine.
    cookie_secure: bool = True
    # Addresses (or networks) of the reverse proxies whose X-Forwarded-For is believed. Empty: the
    # client is the peer of the TCP connection, whatever the headers say.
    trusted_proxies: tuple[str, ...] = ()
    webhook_timeout_s: float = 5.0
    # PostgreSQL only: a new person joining for themselves is written in one statement.
    quick_join: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Settings:
        score = _env("SANDBOX_CREDIT_SCORE", "700")
        return cls(
            database_url=os.environ.get("HUZHU_DATABASE_URL"),
            session_ttl=timedelta(minutes=int(_env("SESSION_TTL_MINUTES", "720"))),
            max_body_bytes=int(_env("MAX_BODY_BYTES", str(64 * 1024))),
            sign_in_limit=_env("SIGN_IN_LIMIT", "10/minute"),
            sign_in_address_limit=_env("SIGN_IN_ADDRESS_LIMIT", "30/minute"),
            sign_in_user_limit=_env("SIGN_IN_USER_LIMIT", "30/hour"),
            join_limit=_env("JOIN_LIMIT", "30/minute"),
            sandbox_credit_score=int(score) if score else None,
            cookie_secure=_env("COOKIE_SECURE", "0" if _env("LOCAL_DEV", "0") == "1" else "1")
            == "1",
            trusted_proxies=tuple(
                p.strip() for p in _env("TRUSTED_PROXIES", "").split(",") if p.strip()
            ),
            quick_join=_env("QUICK_JOIN", "1") == "1",
        )
