"""The sandbox gateway's settings (`HUZHU_SANDBOX_GATEWAY_*` in `huzhu.settings`), and the check
that refuses a secret anyone could know."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from huzhu.domain.errors import InvalidInput
from huzhu.settings import Settings, load

# Secrets printed in huzhu's own source or docs at some time: anyone can sign with them.
PUBLISHED_SECRETS = frozenset({"sandbox-secret", "secret", "changeme", "change-me"})
MIN_SECRET = 32


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
    def from_settings(cls, settings: Settings) -> SandboxConfig:
        return cls(
            secret=settings.sandbox_gateway_secret,
            seed=settings.sandbox_gateway_seed,
            failure_bp=settings.sandbox_gateway_failure_bp,
            payout_failure_bp=settings.sandbox_gateway_payout_failure_bp,
            delay=timedelta(seconds=settings.sandbox_gateway_delay_s),
            duplicate_bp=settings.sandbox_gateway_duplicate_bp,
            fail_members=settings.fail_members,
        )

    @classmethod
    def from_env(cls) -> SandboxConfig:
        """From the environment as it is now (a gateway made outside an entry point: tests,
        drills)."""
        return cls.from_settings(load())
