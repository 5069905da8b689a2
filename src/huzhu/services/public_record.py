"""The public record: a hash-chained log of what the operator published.

Announced cases, jury results, round results and plan rule changes are appended here, so that
outsiders can hold the operator to what it said. (Being implemented: see issue 4.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from huzhu.domain.plans import Plan
from huzhu.storage.repositories.rounds import RoundRecord
from huzhu.storage.uow import UnitOfWork


def append(
    uow: UnitOfWork, kind: str, subject: str, payload: dict[str, Any], now: datetime
) -> None:
    """Append one entry (kind e.g. "case-announced", subject e.g. "claim:12")."""


def record_round(uow: UnitOfWork, record: RoundRecord, now: datetime) -> None:
    """Append a round's published figures."""


def record_plan_version(uow: UnitOfWork, plan: Plan, sha256: str, now: datetime) -> None:
    """Append a plan rule change (a new version with its effective date)."""
