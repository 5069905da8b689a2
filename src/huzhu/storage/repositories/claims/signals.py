"""What the fraud signals count around a set of claims, a page at a time: one query per signal for
all the claims of a reviewer's page, never a query per claim.

The counts are the ones `ClaimRepository.nearby`, `other_plan_claims` and
`EvidenceRepository.reused` give for one claim; `services.flags` reads them from here for one claim
or for fifty alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, func, select

from huzhu.domain.claims import Claim
from huzhu.storage.tables import claims, memberships
from huzhu.storage.tables_claims import claim_evidence

# Built once: an alias's column collection costs more to build than the query takes to run.
MINE, OTHER = claims.alias("mine"), claims.alias("other")
MY_M, OTHER_M = memberships.alias("my_m"), memberships.alias("other_m")
MY_FILE, OTHER_FILE = claim_evidence.alias("my_file"), claim_evidence.alias("other_file")


@dataclass
class Around:
    """One claim's surroundings, as `domain.fraud.Facts` takes them."""

    reused_evidence: dict[str, list[int]] = field(default_factory=dict)
    other_plan_claims: list[tuple[int, str]] = field(default_factory=list)
    same_hospital: int = 0
    same_day: int = 0


class ClaimSignalsRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def around(self, found: Sequence[Claim], days: int) -> dict[int, Around]:
        ids = [c.id for c in found if c.id is not None]
        out = {i: Around() for i in ids}
        if not ids:
            return out
        for claim_id, same_hospital, same_day in self._nearby(ids, days):
            out[claim_id].same_hospital, out[claim_id].same_day = same_hospital, same_day
        for claim_id, other_id, plan_id in self._other_plans(ids):
            out[claim_id].other_plan_claims.append((other_id, plan_id))
        for claim_id, digest, other_id in self._reused(ids):
            out[claim_id].reused_evidence.setdefault(digest, []).append(other_id)
        return out

    def _window(self, mine: Any, days: int) -> tuple[Any, Any]:
        """The diagnosis date `days` either side, in the database's own date arithmetic."""
        if self.conn.dialect.name == "postgresql":
            return mine.c.diagnosis_date - days, mine.c.diagnosis_date + days
        return (
            func.date(mine.c.diagnosis_date, f"-{days} days"),
            func.date(mine.c.diagnosis_date, f"+{days} days"),
        )

    def _nearby(self, ids: list[int], days: int) -> list[tuple[int, int, int]]:
        """Per claim: other claims of its plan at its hospital within `days` of its diagnosis,
        and other claims of its plan diagnosed the same day (indexes of migration 0017)."""
        mine, other = MINE, OTHER
        lo, hi = self._window(mine, days)
        others = and_(other.c.plan_id == mine.c.plan_id, other.c.id != mine.c.id)
        hospital = (
            select(func.count())
            .where(
                others,
                other.c.hospital == mine.c.hospital,
                other.c.diagnosis_date.between(lo, hi),
            )
            .scalar_subquery()
        )
        same_day = (
            select(func.count())
            .where(others, other.c.diagnosis_date == mine.c.diagnosis_date)
            .scalar_subquery()
        )
        rows = self.conn.execute(select(mine.c.id, hospital, same_day).where(mine.c.id.in_(ids)))
        return [(int(r[0]), int(r[1] or 0), int(r[2] or 0)) for r in rows]

    def _other_plans(self, ids: list[int]) -> list[tuple[int, int, str]]:
        """(claim, other claim, its plan) for the same person's claims in other plans."""
        mine, other, my_m, other_m = MINE, OTHER, MY_M, OTHER_M
        rows = self.conn.execute(
            select(mine.c.id, other.c.id, other.c.plan_id)
            .join(my_m, my_m.c.id == mine.c.membership_id)
            .join(other_m, other_m.c.person_id == my_m.c.person_id)
            .join(other, other.c.membership_id == other_m.c.id)
            .where(mine.c.id.in_(ids), other.c.plan_id != mine.c.plan_id)
            .order_by(mine.c.id, other.c.id)
        )
        return [(int(r[0]), int(r[1]), str(r[2])) for r in rows]

    def _reused(self, ids: list[int]) -> list[tuple[int, str, int]]:
        """(claim, file digest, other claim carrying the same file)."""
        mine, other = MY_FILE, OTHER_FILE
        rows = self.conn.execute(
            select(mine.c.claim_id, mine.c.sha256, other.c.claim_id)
            .join(
                other,
                and_(other.c.sha256 == mine.c.sha256, other.c.claim_id != mine.c.claim_id),
            )
            .where(mine.c.claim_id.in_(ids))
            .order_by(mine.c.claim_id, other.c.claim_id)
        )
        return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]
