"""Small builders shared by the database tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import Engine

from huzhu.domain.identity import make_resident_id
from huzhu.domain.plan_fields import CHINA_TZ
from huzhu.services.members.enrol import Candidate, enrol_batch
from huzhu.services.members.service import JoinRequest, JoinResult, PersonDetails, join
from huzhu.services.plans.service import install_templates, publish
from huzhu.storage.uow import UnitOfWork


def at(day: str, hour: int = 10) -> datetime:
    """A moment in Beijing time, as the plans' calendars use."""
    return datetime.combine(date.fromisoformat(day), time(hour), CHINA_TZ).astimezone(UTC)


# The three rounds a month the round, claim and money kits were written against (the Meituan
# template's before it took Meituan's published 6th/15th/24th): their dates are pinned here so that
# a template's calendar can follow the facts without moving every kit's dates.
KIT_ROUNDS = """[calendar]
lock_time = 00:00:00
rounds = [
  { announce_day = 1, collect_day = 5 },
  { announce_day = 11, collect_day = 15 },
  { announce_day = 21, collect_day = 25 },
]
"""


def kit_rounds(document: str) -> str:
    """A plan file with its `[calendar]` table (the file's last) replaced by KIT_ROUNDS."""
    start = document.index("[calendar]")
    return document[:start] + KIT_ROUNDS


def id_number(n: int, birth: date, region: str = "110105") -> str:
    return make_resident_id(region, birth, n % 1000)


def healthy(engine: Engine, plan_id: str) -> dict[str, bool]:
    with UnitOfWork(engine) as uow:
        plan = uow.plans.get(plan_id)
    return {q.id: q.required_answer for q in plan.eligibility.health_declaration}


def install(engine: Engine, now: datetime) -> None:
    with UnitOfWork(engine) as uow:
        install_templates(uow, now)
        uow.commit()


def publish_text(engine: Engine, document: str, now: datetime) -> None:
    with UnitOfWork(engine) as uow:
        publish(uow, document, now)
        uow.commit()


def join_one(
    engine: Engine,
    plan_id: str,
    now: datetime,
    *,
    n: int = 1,
    birth: date = date(1990, 5, 17),
    name: str = "吴小漫",
    credit: int | None = 700,
    answers: dict[str, bool] | None = None,
    region: str = "110105",
) -> JoinResult:
    answers = healthy(engine, plan_id) if answers is None else answers
    with UnitOfWork(engine) as uow:
        result = join(
            uow,
            JoinRequest(
                plan_id=plan_id,
                person=PersonDetails(
                    id_number=id_number(n, birth, region), name=name, credit_score=credit
                ),
                health_answers=answers,
            ),
            now,
        )
        uow.commit()
    return result


def join_many(
    engine: Engine, plan_id: str, count: int, now: datetime, *, birth: date = date(1990, 1, 1)
) -> int:
    """`count` adults join at `now`; distinct ID numbers come from distinct region codes."""
    answers = healthy(engine, plan_id)
    batch = []
    for i in range(count):
        region = f"{110101 + (i // 1000):06d}"
        batch.append(
            Candidate(
                line=i,
                person=PersonDetails(
                    id_number=make_resident_id(region, birth, i % 1000),
                    name=f"成员{i}",
                    credit_score=700,
                ),
                health_answers=answers,
            )
        )
    with UnitOfWork(engine) as uow:
        ok = sum(r.ok for r in enrol_batch(uow, plan_id, batch, now))
        uow.commit()
    return ok
