"""Finding members for operators: by identity document, by name, or by membership id.

One indexed lookup each (people's unique document key, `ix_people_name`, the membership's primary
key), joined to the person's memberships; never a scan of the member tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from huzhu.storage.tables import memberships, people


@dataclass(frozen=True)
class MemberRecord:
    membership_id: int
    plan_id: str
    plan_version: int
    lifecycle: str
    joined_at: datetime
    left_at: datetime | None
    leave_reason: str | None
    person_id: int
    name: str
    id_type: str
    id_number: str
    birth_date: date
    sex: str
    province_code: str | None
    phone: str | None
    email: str | None
    guardian_id: int | None


def _record(r: Row[Any] | Any) -> MemberRecord:
    return MemberRecord(
        int(r.membership_id), r.plan_id, int(r.plan_version), r.lifecycle, r.joined_at,
        r.left_at, r.leave_reason, int(r.person_id), r.name, r.id_type, r.id_number,
        r.birth_date, r.sex, r.province_code, r.phone, r.email, r.guardian_id,
    )  # fmt: skip


class MemberLookupRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def find(
        self,
        *,
        document: tuple[str, str] | None = None,
        name: str | None = None,
        membership_id: int | None = None,
        plan_id: str | None = None,
        limit: int = 50,
    ) -> list[MemberRecord]:
        """Memberships of the people matching every criterion given, oldest first."""
        m, p = memberships, people
        q = select(
            m.c.id.label("membership_id"), m.c.plan_id, m.c.plan_version, m.c.lifecycle,
            m.c.joined_at, m.c.left_at, m.c.leave_reason, p.c.id.label("person_id"), p.c.name,
            p.c.id_type, p.c.id_number, p.c.birth_date, p.c.sex, p.c.province_code, p.c.phone,
            p.c.email, p.c.guardian_id,
        ).join(p, p.c.id == m.c.person_id)  # fmt: skip
        if document is not None:
            q = q.where(p.c.id_type == document[0], p.c.id_number == document[1])
        if name is not None:
            q = q.where(p.c.name == name)
        if membership_id is not None:
            q = q.where(m.c.id == membership_id)
        if plan_id is not None:
            q = q.where(m.c.plan_id == plan_id)
        return [_record(r) for r in self.conn.execute(q.order_by(m.c.id).limit(limit))]
