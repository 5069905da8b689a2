"""The database schema (SQLAlchemy Core). Alembic migrations in `migrations/` create it.

Shaped for 100 million members: the rows written per member per round (`member_charges`) are narrow,
per-member money is a subsidiary ledger rather than postings, and the wide `people` row is never
rewritten by a round.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

# SQLite only gives INTEGER PRIMARY KEY its rowid fast path; PostgreSQL needs 64 bits at scale.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Fen = BigInteger


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored in UTC and always come back time-zone aware, on both databases."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        stamp: datetime = value
        return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def _id() -> Column[int]:
    return Column("id", BigId, primary_key=True, autoincrement=True)


plans = Table(
    "plans",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

plan_versions = Table(
    "plan_versions",
    metadata,
    Column("plan_id", String(64), ForeignKey("plans.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("effective_from", Date, nullable=False),
    Column("document", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

people = Table(
    "people",
    metadata,
    _id(),
    Column("id_type", String(32), nullable=False),
    Column("id_number", String(32), nullable=False),
    Column("name", String(100), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", String(1), nullable=False),
    Column("province_code", String(2)),
    Column("city_tier", SmallInteger),
    Column("rural", Boolean),
    Column("phone", String(20)),
    Column("email", String(200)),
    Column("credit_score", SmallInteger),
    Column("labels", JSON, nullable=False, default=list),
    Column("guardian_id", BigId, ForeignKey("people.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("locale", String(5)),  # the language messages are worded in; None: zh
    UniqueConstraint("id_type", "id_number"),
    Index("ix_people_name", "name"),  # operators find members by name (`huzhu members find`)
    Index("ix_people_guardian_id", "guardian_id"),
)

memberships = Table(
    "memberships",
    metadata,
    _id(),
    Column("plan_id", String(64), ForeignKey("plans.id"), nullable=False),
    Column("person_id", BigId, ForeignKey("people.id"), nullable=False),
    Column("plan_version", Integer, nullable=False),
    Column("joined_at", UTCDateTime(), nullable=False),
    Column("lifecycle", String(12), nullable=False),
    Column("exit_on", Date),
    Column("suspended_at", UTCDateTime()),
    Column("left_at", UTCDateTime()),
    Column("leave_reason", String(20)),
    # One live membership per person and plan; someone who left may join again later.
    Index(
        "uq_memberships_live",
        "plan_id",
        "person_id",
        unique=True,
        sqlite_where=text("lifecycle <> 'left'"),
        postgresql_where=text("lifecycle <> 'left'"),
    ),
    Index("ix_memberships_person_id", "person_id"),
    Index("ix_memberships_plan_id_joined_at", "plan_id", "joined_at"),
    Index("ix_memberships_plan_id_exit_on", "plan_id", "exit_on"),
    # The dashboard's leaves per day; only ended memberships are in it (migration 0017).
    Index(
        "ix_memberships_left_at",
        "left_at",
        sqlite_where=text("left_at IS NOT NULL"),
        postgresql_where=text("left_at IS NOT NULL"),
    ),
)

membership_events = Table(
    "membership_events",
    metadata,
    _id(),
    Column("membership_id", BigId, ForeignKey("memberships.id"), nullable=False, index=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("from_state", String(12)),
    Column("to_state", String(12), nullable=False),
    Column("reason", String(40), nullable=False),
)

PROMISED_SQL = "state IN ('announced', 'approved', 'shared', 'paid')"

claims = Table(
    "claims",
    metadata,
    _id(),
    Column("plan_id", String(64), ForeignKey("plans.id"), nullable=False),
    Column("membership_id", BigId, ForeignKey("memberships.id"), nullable=False, index=True),
    Column("condition_code", String(8), nullable=False),
    Column("diagnosis_date", Date, nullable=False),
    Column("hospital", String(200), nullable=False),
    Column("evidence", JSON, nullable=False, default=list),
    Column("disability_grade", SmallInteger),
    # illness | accident: what caused the condition (migration 0009)
    Column("cause", String(10), nullable=False, server_default="illness"),
    Column("age_at_diagnosis", SmallInteger, nullable=False),
    Column("payout", Fen),
    Column("state", String(20), nullable=False),
    Column("reason_code", String(40)),
    Column("reason_text", Text),
    Column("submitted_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime()),
    Column("decided_by", String(100)),
    Column("round_id", BigId, ForeignKey("rounds.id")),
    Index("ix_claims_plan_id_state", "plan_id", "state"),
    # Fraud signals: claims of a plan near a hospital and a diagnosis date (migration 0017).
    Index("ix_claims_plan_id_hospital_diagnosis_date", "plan_id", "hospital", "diagnosis_date"),
    Index("ix_claims_plan_id_diagnosis_date", "plan_id", "diagnosis_date"),
    # One payout per membership, whatever races past the services' row locks (migration 0008).
    Index(
        "uq_claims_one_payout",
        "membership_id",
        unique=True,
        sqlite_where=text(PROMISED_SQL),
        postgresql_where=text(PROMISED_SQL),
    ),
)

rounds = Table(
    "rounds",
    metadata,
    _id(),
    Column("plan_id", String(64), ForeignKey("plans.id"), nullable=False),
    Column("announce_date", Date, nullable=False),
    Column("lock_at", UTCDateTime(), nullable=False),
    Column("collect_date", Date, nullable=False),
    Column("plan_version", Integer, nullable=False),
    Column("members", BigInteger, nullable=False),
    Column("cases", Integer, nullable=False),
    Column("payouts", Fen, nullable=False),
    Column("fee", Fen, nullable=False),
    Column("carry_in", Fen, nullable=False),
    Column("share", Fen, nullable=False),
    Column("member_cap", Fen),
    Column("collected", Fen, nullable=False),
    Column("backstop", Fen, nullable=False),
    Column("surplus", Fen, nullable=False),
    Column("transaction_id", BigId, ForeignKey("ledger_transactions.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    # How many member_charges rows the round wrote (members at a cap may owe 0 and still get a
    # row, to carry their running totals).
    Column("charge_rows", BigInteger, nullable=False, server_default="0"),
    # Plans with an annual cap: the most any member can have been charged this calendar year
    # after this round, and whether this round stored each member's running year_total.
    Column("year_max", BigInteger),
    Column("year_totals", Boolean, nullable=False, server_default=text("false")),
    UniqueConstraint("plan_id", "announce_date"),
)

# One narrow row per charged member per round: the subsidiary ledger behind `member-funds`.
# Physical layout is set by migration 0004, not by this definition: on PostgreSQL the table is
# partitioned by round (LIST), each partition with a unique index on membership_id and no foreign
# keys, so a round inserts at bulk speed and old rounds can be detached and archived; on SQLite it
# is a WITHOUT ROWID table keyed by (round_id, membership_id).
member_charges = Table(
    "member_charges",
    metadata,
    Column("membership_id", BigId, nullable=False),
    Column("round_id", BigId, nullable=False),
    Column("amount", Integer, nullable=False),
    # For plans with an annual cap: what the member was charged this calendar year, this charge
    # included. Carried from round to round so that a round never sums a member's history.
    Column("year_total", Integer),
)

member_credits = Table(
    "member_credits",
    metadata,
    _id(),
    Column("membership_id", BigId, ForeignKey("memberships.id"), nullable=False, index=True),
    Column("transaction_id", BigId, ForeignKey("ledger_transactions.id"), nullable=False),
    Column("amount", Fen, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
)

ledger_accounts = Table(
    "ledger_accounts",
    metadata,
    _id(),
    Column("code", String(100), nullable=False, unique=True),
    Column("plan_id", String(64), ForeignKey("plans.id"), nullable=False),
    Column("kind", String(30), nullable=False),
    # Kept by every posting in the same database transaction; the audit recomputes it.
    Column("balance", Fen, nullable=False),
)

ledger_transactions = Table(
    "ledger_transactions",
    metadata,
    _id(),
    Column("key", String(200), nullable=False, unique=True),
    Column("kind", String(30), nullable=False),
    Column("plan_id", String(64), ForeignKey("plans.id"), nullable=False),
    Column("memo", Text, nullable=False),
    Column("posted_at", UTCDateTime(), nullable=False),
    # sha256 over the previous transaction's digest of the same plan and this one's content, so
    # an edited, inserted or deleted transaction breaks the chain.
    Column("prev_digest", String(64), nullable=False),
    Column("digest", String(64), nullable=False),
    Index("ix_ledger_transactions_plan_id_id", "plan_id", "id"),
)

ledger_postings = Table(
    "ledger_postings",
    metadata,
    _id(),
    Column("transaction_id", BigId, ForeignKey("ledger_transactions.id"), nullable=False),
    Column("account_id", BigId, ForeignKey("ledger_accounts.id"), nullable=False),
    Column("amount", Fen, nullable=False),
    Index("ix_ledger_postings_transaction_id", "transaction_id"),
    Index("ix_ledger_postings_account_id_transaction_id", "account_id", "transaction_id"),
)

# The head of each plan's transaction chain; locking this row serialises appends per plan.
ledger_heads = Table(
    "ledger_heads",
    metadata,
    Column("plan_id", String(64), ForeignKey("plans.id"), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("length", BigInteger, nullable=False),
)
