"""The sandbox gateway's settings, read from `HUZHU_SANDBOX_GATEWAY_*` (all in this one place),
and the check that refuses a secret anyone could know."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta

from huzhu.domain.errors import InvalidInput

# Secrets printed in huzhu's own source or docs at some time: anyone can sign with them.
PUBLISHED_SECRETS = frozenset({"sandbox-secret", "secret", "changeme", "change-me"})
MIN_SECRET = 32


def _env(name: str, default: str) -> str:
    return os.environ.get(f"HUZHU_SANDBOX_GATEWAY_{name}", default)


def check_secret(secret: str) -> str:
    """Refuse a secret anyone could know or guess: a published default, or a short one."""
    if secret.strip().lower() in PUBLISHED_SECRETS or len(secret) < MIN_SECRET:
        raise InvalidInput(
            "the sandbox gateway's secret is a published default or shorter than "
            f"{MIN_SECRET} characters; unset HUZHU_SANDBOX_GATEWAY_SECRET to use this "
            "database's own random secret",
            code="weak-secret",
            field="HUZHU_SANDBOX_GATEWAY_SECRET",
        )
    return secret


@dataclass(frozen=True)
class SandboxConfig:
    secret: str | None = None  # None: this database's own secret (instance_secrets)
    seed: int = 0
    # Shares in basis points (1/10,000), so no float comes near the money paths.
    failure_bp: int = 500  # debit items that fail
    payout_failure_bp: int = 0
    delay: timedelta = timedelta(seconds=60)  # how late a callback arrives
    duplicate_bp: int = 2_500  # callbacks sent twice
    fail_members: frozenset[int] = field(default_factory=frozenset)  # whose debits always fail

    @classmethod
    def from_env(cls) -> SandboxConfig:
        members = _env("FAIL_MEMBERS", "")
        return cls(
            secret=_env("SECRET", "") or None,
            seed=int(_env("SEED", "0")),
            failure_bp=int(_env("FAILURE_BP", "500")),
            payout_failure_bp=int(_env("PAYOUT_FAILURE_BP", "0")),
            delay=timedelta(seconds=int(_env("DELAY_S", "60"))),
            duplicate_bp=int(_env("DUPLICATE_BP", "2500")),
            fail_members=frozenset(int(m) for m in members.split(",") if m.strip()),
        )
