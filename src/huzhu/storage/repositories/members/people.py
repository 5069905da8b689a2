"""People: identities, guardians and credit scores."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from huzhu.domain.errors import NotFound
from huzhu.domain.identity import Sex
from huzhu.domain.members import Person
from huzhu.storage.tables import people


def _person(row: Row[Any]) -> Person:
    return Person(
        id=row.id,
        id_type=row.id_type,
        id_number=row.id_number,
        name=row.name,
        birth_date=row.birth_date,
        sex=Sex(row.sex),
        province_code=row.province_code,
        city_tier=row.city_tier,
        rural=row.rural,
        phone=row.phone,
        email=row.email,
        credit_score=row.credit_score,
        labels=tuple(row.labels or ()),
        guardian_id=row.guardian_id,
    )


def person_values(p: Person, now: datetime) -> dict[str, Any]:
    return {
        "id_type": p.id_type,
        "id_number": p.id_number,
        "name": p.name,
        "birth_date": p.birth_date,
        "sex": p.sex.value,
        "province_code": p.province_code,
        "city_tier": p.city_tier,
        "rural": p.rural,
        "phone": p.phone,
        "email": p.email,
        "credit_score": p.credit_score,
        "labels": list(p.labels),
        "guardian_id": p.guardian_id,
        "created_at": now,
    }


class PersonRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, person: Person, now: datetime) -> int:
        result = self.conn.execute(insert(people).values(**person_values(person, now)))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def get(self, person_id: int) -> Person:
        row = self.conn.execute(select(people).where(people.c.id == person_id)).first()
        if row is None:
            raise NotFound(f"no person {person_id}", code="unknown-person", field="person")
        return _person(row)

    def by_document(self, id_type: str, id_number: str) -> Person | None:
        row = self.conn.execute(
            select(people).where(people.c.id_type == id_type, people.c.id_number == id_number)
        ).first()
        return _person(row) if row else None

    def existing_numbers(self, id_type: str, numbers: Sequence[str]) -> dict[str, int]:
        """Which of these ID numbers are already known, with their person ids."""
        found: dict[str, int] = {}
        for start in range(0, len(numbers), 5000):
            chunk = numbers[start : start + 5000]
            rows = self.conn.execute(
                select(people.c.id_number, people.c.id).where(
                    people.c.id_type == id_type, people.c.id_number.in_(chunk)
                )
            )
            found.update({r.id_number: r.id for r in rows})
        return found

    def add_many(self, rows: Sequence[Person], now: datetime) -> None:
        if rows:
            self.conn.execute(insert(people), [person_values(p, now) for p in rows])

    def set_credit_score(self, person_id: int, score: int) -> None:
        self.conn.execute(update(people).where(people.c.id == person_id).values(credit_score=score))

    def locale(self, person_id: int) -> str | None:
        """The language this person's messages are worded in (None: the default)."""
        return self.conn.execute(
            select(people.c.locale).where(people.c.id == person_id)
        ).scalar_one_or_none()

    def set_locale(self, person_id: int, locale: str) -> None:
        self.conn.execute(update(people).where(people.c.id == person_id).values(locale=locale))

    def set_guardian(self, person_id: int, guardian_id: int | None) -> None:
        self.conn.execute(
            update(people).where(people.c.id == person_id).values(guardian_id=guardian_id)
        )

    def dependants(self, guardian_id: int) -> list[Person]:
        rows = self.conn.execute(select(people).where(people.c.guardian_id == guardian_id))
        return [_person(r) for r in rows]
