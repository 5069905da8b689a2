"""Identity checks: ID numbers given while already on file, waiting for the operator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from huzhu.domain.errors import NotFound
from huzhu.storage.tables_access import identity_checks


@dataclass(frozen=True)
class IdentityCheck:
    id: int
    account_id: int
    kind: str
    person_id: int
    name: str
    state: str
    created_at: datetime


class IdentityCheckRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, account_id: int, kind: str, person_id: int, name: str, at: datetime) -> int:
        values = {"account_id": account_id, "kind": kind, "person_id": person_id}
        row = self.conn.execute(
            insert(identity_checks).values(**values, name=name, state="pending", created_at=at)
        )
        key = row.inserted_primary_key
        assert key is not None
        return int(key[0])

    def pending(self, account_id: int, kind: str, person_id: int | None = None) -> int:
        """How many of this account's checks of `kind` (for `person_id`, if given) still wait."""
        c = identity_checks.c
        q = select(func.count()).where(
            c.account_id == account_id, c.kind == kind, c.state == "pending"
        )
        if person_id is not None:
            q = q.where(c.person_id == person_id)
        return int(self.conn.execute(q).scalar_one())

    def queue(self, state: str = "pending", limit: int = 100) -> list[IdentityCheck]:
        c = identity_checks.c
        q = select(identity_checks).where(c.state == state).order_by(c.id).limit(limit)
        return [_check(r) for r in self.conn.execute(q)]

    def get(self, check_id: int, *, lock: bool = False) -> IdentityCheck:
        q = select(identity_checks).where(identity_checks.c.id == check_id)
        if lock:
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        if row is None:
            raise NotFound(f"no identity check {check_id}", code="unknown-identity-check")
        return _check(row)

    def resolve(self, check_id: int, state: str, by: int | None, at: datetime) -> bool:
        """Decide a pending check; False if it was already decided (a racing operator won)."""
        c = identity_checks.c
        done = self.conn.execute(
            update(identity_checks)
            .where(c.id == check_id, c.state == "pending")
            .values(state=state, resolved_by=by, resolved_at=at)
        )
        return done.rowcount == 1


def _check(r: Row[Any]) -> IdentityCheck:
    return IdentityCheck(
        id=r.id,
        account_id=r.account_id,
        kind=r.kind,
        person_id=r.person_id,
        name=r.name,
        state=r.state,
        created_at=r.created_at,
    )
