"""Juries, their jurors and sealed votes, and the juror test."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from huzhu.domain.errors import NotFound
from huzhu.domain.jury import Candidate, JurorStatus, JuryMode, JuryResult, Vote
from huzhu.domain.members import Lifecycle
from huzhu.storage.tables import memberships, people
from huzhu.storage.tables_claims import juries, juror_tests, jurors, jury_votes

OPEN = "open"
CLOSED = "closed"


@dataclass(frozen=True)
class Jury:
    id: int
    claim_id: int
    seed: str
    size: int
    quorum: int
    eligible_count: int
    eligible_digest: str
    drawn_by: str
    drawn_at: datetime
    deadline: datetime
    status: str
    closed_at: datetime | None
    result: JuryResult | None
    overturn: int | None
    uphold: int | None
    mode: JuryMode = JuryMode.DRAWN
    threshold_percent: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


@dataclass(frozen=True)
class Juror:
    """A juror's seat. The vote itself is not here: it is read only when the jury closes."""

    jury_id: int
    person_id: int
    seq: int
    status: JurorStatus
    drawn_at: datetime
    responded_at: datetime | None


def _jury(r: Row[Any]) -> Jury:
    return Jury(
        r.id,
        r.claim_id,
        r.seed,
        r.size,
        r.quorum,
        r.eligible_count,
        r.eligible_digest,
        r.drawn_by,
        r.drawn_at,
        r.deadline,
        r.status,
        r.closed_at,
        JuryResult(r.result) if r.result else None,
        r.overturn,
        r.uphold,
        JuryMode(r.mode),
        r.threshold_percent,
    )


def _juror(r: Any) -> Juror:
    return Juror(r.jury_id, r.person_id, r.seq, JurorStatus(r.status), r.drawn_at, r.responded_at)


SEAT = (
    jurors.c.jury_id,
    jurors.c.person_id,
    jurors.c.seq,
    jurors.c.status,
    jurors.c.drawn_at,
    jurors.c.responded_at,
)


class JuryRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, **values: Any) -> Jury:
        result = self.conn.execute(insert(juries).values(status=OPEN, **values))
        return self.get(int(result.inserted_primary_key[0]))  # type: ignore[index]

    def get(self, jury_id: int, *, lock: bool = False, share: bool = False) -> Jury:
        """The jury; `lock` holds its row, so that votes, declines and the close take turns.
        `share` holds it against the close only: public ballots go in side by side."""
        q = select(juries).where(juries.c.id == jury_id)
        if lock:
            q = q.with_for_update(key_share=True)
        elif share:
            q = q.with_for_update(read=True)
        row = self.conn.execute(q).first()
        if row is None:
            raise NotFound(f"no jury {jury_id}", code="unknown-jury", field="jury")
        return _jury(row)

    def for_claim(self, claim_id: int) -> list[Jury]:
        rows = self.conn.execute(
            select(juries).where(juries.c.claim_id == claim_id).order_by(juries.c.id)
        )
        return [_jury(r) for r in rows]

    def close(
        self, jury_id: int, at: datetime, result: JuryResult, overturn: int, uphold: int
    ) -> None:
        self.conn.execute(
            update(juries)
            .where(juries.c.id == jury_id)
            .values(
                status=CLOSED, closed_at=at, result=result.value, overturn=overturn, uphold=uphold
            )
        )

    def dissolve(self, jury_id: int, at: datetime) -> None:
        """Close without a result (the claim was withdrawn)."""
        self.conn.execute(
            update(juries).where(juries.c.id == jury_id).values(status=CLOSED, closed_at=at)
        )

    # --- seats and votes ------------------------------------------------------------------

    def seat(self, jury_id: int, person_id: int, seq: int, at: datetime) -> None:
        self.conn.execute(
            insert(jurors).values(
                jury_id=jury_id,
                person_id=person_id,
                seq=seq,
                status=JurorStatus.DRAWN.value,
                drawn_at=at,
            )
        )

    def seats(self, jury_id: int) -> list[Juror]:
        rows = self.conn.execute(
            select(*SEAT).where(jurors.c.jury_id == jury_id).order_by(jurors.c.seq)
        )
        return [_juror(r) for r in rows]

    def juror(self, jury_id: int, person_id: int) -> Juror | None:
        row = self.conn.execute(
            select(*SEAT).where(jurors.c.jury_id == jury_id, jurors.c.person_id == person_id)
        ).first()
        return _juror(row) if row else None

    def respond(
        self, jury_id: int, person_id: int, status: JurorStatus, vote: Vote | None, at: datetime
    ) -> bool:
        """Record a decline or a vote, only if the seat is still waiting (so never twice)."""
        done = self.conn.execute(
            update(jurors)
            .where(
                jurors.c.jury_id == jury_id,
                jurors.c.person_id == person_id,
                jurors.c.status == JurorStatus.DRAWN.value,
            )
            .values(status=status.value, vote=vote.value if vote else None, responded_at=at)
        )
        return done.rowcount == 1

    def unseal(self, jury_id: int) -> list[Vote]:
        """The votes cast: read only to close the jury."""
        rows = self.conn.scalars(
            select(jurors.c.vote).where(
                jurors.c.jury_id == jury_id, jurors.c.status == JurorStatus.VOTED.value
            )
        )
        return [Vote(v) for v in rows]

    # --- a public vote's ballots ----------------------------------------------------------

    def has_ballot(self, jury_id: int, person_id: int) -> bool:
        q = select(jury_votes.c.person_id).where(
            jury_votes.c.jury_id == jury_id, jury_votes.c.person_id == person_id
        )
        return self.conn.execute(q).first() is not None

    def cast(self, jury_id: int, person_id: int, vote: Vote, at: datetime) -> bool:
        """Put a member's ballot in; False if they already have one (the primary key decides,
        also between two of their votes at the same moment)."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(jury_votes).values(
                        jury_id=jury_id, person_id=person_id, vote=vote.value, cast_at=at
                    )
                )
        except IntegrityError:
            return False
        return True

    def unseal_ballots(self, jury_id: int) -> tuple[int, int]:
        """(overturn, uphold) of a public vote: read only to close it."""
        rows = self.conn.execute(
            select(jury_votes.c.vote, func.count())
            .where(jury_votes.c.jury_id == jury_id)
            .group_by(jury_votes.c.vote)
        )
        counts = {Vote(v): int(n) for v, n in rows}
        return counts.get(Vote.OVERTURN, 0), counts.get(Vote.UPHOLD, 0)

    def open_public(self, limit: int = 100) -> list[Jury]:
        """Public votes still open, soonest deadline first."""
        rows = self.conn.execute(
            select(juries)
            .where(juries.c.mode == JuryMode.PUBLIC.value, juries.c.status == OPEN)
            .order_by(juries.c.deadline, juries.c.id)
            .limit(limit)
        )
        return [_jury(r) for r in rows]

    def duties(self, person_ids: Sequence[int]) -> list[tuple[Jury, Juror]]:
        if not person_ids:
            return []
        rows = self.conn.execute(
            select(*SEAT).where(jurors.c.person_id.in_(person_ids)).order_by(jurors.c.jury_id)
        )
        return [(self.get(r.jury_id), _juror(r)) for r in rows]

    # --- who may sit ----------------------------------------------------------------------

    def candidates(
        self, plan_id: str, joined_by: datetime, passed_by: datetime, person_id: int | None = None
    ) -> list[Candidate]:
        """Active members of the plan since `joined_by` who passed the juror test by `passed_by`
        (only `person_id`, if given)."""
        joined = func.min(memberships.c.joined_at)
        only = [] if person_id is None else [people.c.id == person_id]
        rows = self.conn.execute(
            select(people.c.id, people.c.guardian_id, joined.label("joined_at"))
            .join(memberships, memberships.c.person_id == people.c.id)
            .join(juror_tests, juror_tests.c.person_id == people.c.id)
            .where(
                memberships.c.plan_id == plan_id,
                memberships.c.lifecycle == Lifecycle.ACTIVE.value,
                memberships.c.joined_at <= joined_by,
                juror_tests.c.passed_at <= passed_by,
                *only,
            )
            .group_by(people.c.id, people.c.guardian_id)
            .order_by(people.c.id)
        )
        return [Candidate(int(r.id), r.guardian_id, r.joined_at, True) for r in rows]

    # --- the juror test -------------------------------------------------------------------

    def test_passed(self, person_id: int) -> datetime | None:
        return self.conn.scalar(
            select(juror_tests.c.passed_at).where(juror_tests.c.person_id == person_id)
        )

    def record_test(self, person_id: int, score: int, passed: bool, at: datetime) -> None:
        row = self.conn.execute(
            select(juror_tests).where(juror_tests.c.person_id == person_id)
        ).first()
        if row is None:
            self.conn.execute(
                insert(juror_tests).values(
                    person_id=person_id,
                    attempts=1,
                    last_score=score,
                    last_attempt_at=at,
                    passed_at=at if passed else None,
                )
            )
            return
        self.conn.execute(
            update(juror_tests)
            .where(juror_tests.c.person_id == person_id)
            .values(
                attempts=row.attempts + 1,
                last_score=score,
                last_attempt_at=at,
                passed_at=row.passed_at or (at if passed else None),
            )
        )
