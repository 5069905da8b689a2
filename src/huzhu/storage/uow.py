"""Unit of work: one database transaction per request or job.

Services open a `UnitOfWork`, use its repositories, and call `commit()`; leaving the block without a
commit rolls everything back, so a refused request writes nothing.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine

from huzhu.storage.repositories.claims import ClaimRepository
from huzhu.storage.repositories.ledger import LedgerRepository
from huzhu.storage.repositories.members import MembershipRepository, PersonRepository
from huzhu.storage.repositories.plans import PlanRepository
from huzhu.storage.repositories.rounds import RoundRepository


class UnitOfWork:
    conn: Connection
    plans: PlanRepository
    people: PersonRepository
    memberships: MembershipRepository
    claims: ClaimRepository
    rounds: RoundRepository
    ledger: LedgerRepository

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        self.conn = self.engine.connect()
        self._tx = self.conn.begin()
        self._committed = False
        self.plans = PlanRepository(self.conn)
        self.people = PersonRepository(self.conn)
        self.memberships = MembershipRepository(self.conn)
        self.claims = ClaimRepository(self.conn)
        self.rounds = RoundRepository(self.conn)
        self.ledger = LedgerRepository(self.conn)
        return self

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    def commit(self) -> None:
        self._tx.commit()
        self._committed = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed and self._tx.is_active:
                self._tx.rollback()
        finally:
            self.conn.close()
