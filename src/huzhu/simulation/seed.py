"""Set-based seeding of many members at once, for benchmarks and crash drills.

Seeded people skip the per-person checks that `huzhu members import` runs (their document numbers
are synthetic passport numbers), so this is for load and failure testing, never for real members.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, text

from huzhu.storage.engine import refresh_statistics


def _stamp(engine: Engine, moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    if engine.dialect.name == "postgresql":
        return utc.isoformat()
    return utc.strftime("%Y-%m-%d %H:%M:%S.%f")  # how UTCDateTime stores it on SQLite


def seed_members(
    engine: Engine, plan_id: str, count: int, joined_at: datetime, *, first: int = 1
) -> None:
    """`count` people with synthetic passports, all joining `plan_id` at `joined_at`."""
    postgres = engine.dialect.name == "postgresql"
    numbers = (
        "SELECT g AS n FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g"
        if postgres
        else "WITH RECURSIVE s(n) AS (SELECT :first UNION ALL SELECT n + 1 FROM s WHERE n < :last) "
        "SELECT n FROM s"
    )
    pad = "lpad(n::text, 17, '0')" if postgres else "printf('%017d', n)"
    birth = (
        "DATE '1970-01-01' + (n % 12000)::int"
        if postgres
        else "date('1970-01-01', '+' || (n % 12000) || ' days')"
    )
    params = {
        "first": first,
        "last": first + count - 1,
        "at": _stamp(engine, joined_at),
        "plan": plan_id,
    }
    with engine.begin() as conn:
        before = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM people")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO people (id_type, id_number, name, birth_date, sex, labels, "
                f"created_at) SELECT 'passport', 'S' || {pad}, 'member', {birth}, "
                f"CASE WHEN n % 2 = 0 THEN 'F' ELSE 'M' END, '[]', :at FROM ({numbers}) AS q"
            ),
            params,
        )
        conn.execute(
            text(
                "INSERT INTO memberships (plan_id, person_id, plan_version, joined_at, lifecycle) "
                "SELECT :plan, id, 1, :at, 'active' FROM people WHERE id > :before ORDER BY id"
            ),
            {**params, "before": before},
        )
    refresh_statistics(engine, "people", "memberships")


def seed_approved_claim(
    engine: Engine, plan_id: str, membership_id: int, payout: int, decided_at: datetime
) -> None:
    """An approved claim, decided at `decided_at`, ready to be shared in the next round."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO claims (plan_id, membership_id, condition_code, diagnosis_date, "
                "hospital, evidence, age_at_diagnosis, payout, state, submitted_at, decided_at, "
                "decided_by) VALUES (:plan, :m, 'CI-01', :d, 'seeded', '[]', 40, :payout, "
                "'approved', :at, :at, 'seed')"
            ),
            {
                "plan": plan_id,
                "m": membership_id,
                "d": decided_at.date(),
                "payout": payout,
                "at": _stamp(engine, decided_at),
            },
        )
