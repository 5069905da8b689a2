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
    join_limit: str = "30/minute"
    # The sandbox credit provider's score for people with none on file. A real deployment plugs
    # in the host app's credit service instead.
    sandbox_credit_score: int | None = 700
    # Cookies only over HTTPS; a local demo on http://127.0.0.1 turns it off:
    # HUZHU_COOKIE_SECURE=0.
    cookie_secure: bool = True
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
            join_limit=_env("JOIN_LIMIT", "30/minute"),
            sandbox_credit_score=int(score) if score else None,
            cookie_secure=_env("COOKIE_SECURE", "1") != "0",
            quick_join=_env("QUICK_JOIN", "1") == "1",
        )
