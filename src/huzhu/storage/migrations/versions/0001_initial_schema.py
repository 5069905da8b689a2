"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import huzhu.storage.tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id_type", sa.String(length=32), nullable=False),
        sa.Column("id_number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=True),
        sa.Column("city_tier", sa.SmallInteger(), nullable=True),
        sa.Column("rural", sa.Boolean(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("credit_score", sa.SmallInteger(), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column(
            "guardian_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["guardian_id"], ["people.id"], name=op.f("fk_people_guardian_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("id_type", "id_number", name=op.f("uq_people_id_type_id_number")),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("created_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
    )
    op.create_table(
        "ledger_accounts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_ledger_accounts_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint("code", name=op.f("uq_ledger_accounts_code")),
    )
    op.create_table(
        "ledger_heads",
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_ledger_heads_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("plan_id", name=op.f("pk_ledger_heads")),
    )
    op.create_table(
        "ledger_transactions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("posted_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("prev_digest", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_ledger_transactions_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_transactions")),
        sa.UniqueConstraint("key", name=op.f("uq_ledger_transactions_key")),
    )
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_transactions_plan_id_id", ["plan_id", "id"], unique=False)

    op.create_table(
        "memberships",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("joined_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lifecycle", sa.String(length=12), nullable=False),
        sa.Column("exit_on", sa.Date(), nullable=True),
        sa.Column("suspended_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("left_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("leave_reason", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_memberships_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_memberships_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index("ix_memberships_person_id", ["person_id"], unique=False)
        batch_op.create_index(
            "ix_memberships_plan_id_joined_at", ["plan_id", "joined_at"], unique=False
        )
        batch_op.create_index(
            "uq_memberships_live",
            ["plan_id", "person_id"],
            unique=True,
            sqlite_where=sa.text("lifecycle <> 'left'"),
            postgresql_where=sa.text("lifecycle <> 'left'"),
        )

    op.create_table(
        "plan_versions",
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_versions_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("plan_id", "version", name=op.f("pk_plan_versions")),
    )
    op.create_table(
        "ledger_postings",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "transaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_ledger_postings_account_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_ledger_postings_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_postings")),
    )
    with op.batch_alter_table("ledger_postings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_postings_account_id_transaction_id",
            ["account_id", "transaction_id"],
            unique=False,
        )
        batch_op.create_index("ix_ledger_postings_transaction_id", ["transaction_id"], unique=False)

    op.create_table(
        "member_credits",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "membership_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "transaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_member_credits_membership_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_member_credits_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_credits")),
    )
    with op.batch_alter_table("member_credits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_member_credits_membership_id"), ["membership_id"], unique=False
        )

    op.create_table(
        "membership_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "membership_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("from_state", sa.String(length=12), nullable=True),
        sa.Column("to_state", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_membership_events_membership_id_memberships"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership_events")),
    )
    with op.batch_alter_table("membership_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_membership_events_membership_id"), ["membership_id"], unique=False
        )

    op.create_table(
        "rounds",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("announce_date", sa.Date(), nullable=False),
        sa.Column("lock_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("collect_date", sa.Date(), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("members", sa.BigInteger(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("payouts", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("carry_in", sa.BigInteger(), nullable=False),
        sa.Column("share", sa.BigInteger(), nullable=False),
        sa.Column("member_cap", sa.BigInteger(), nullable=True),
        sa.Column("collected", sa.BigInteger(), nullable=False),
        sa.Column("backstop", sa.BigInteger(), nullable=False),
        sa.Column("surplus", sa.BigInteger(), nullable=False),
        sa.Column(
            "transaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_rounds_plan_id_plans")),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_rounds_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rounds")),
        sa.UniqueConstraint(
            "plan_id", "announce_date", name=op.f("uq_rounds_plan_id_announce_date")
        ),
    )
    op.create_table(
        "claims",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column(
            "membership_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("condition_code", sa.String(length=8), nullable=False),
        sa.Column("diagnosis_date", sa.Date(), nullable=False),
        sa.Column("hospital", sa.String(length=200), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("disability_grade", sa.SmallInteger(), nullable=True),
        sa.Column("age_at_diagnosis", sa.SmallInteger(), nullable=False),
        sa.Column("payout", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason_code", sa.String(length=40), nullable=True),
        sa.Column("reason_text", sa.Text(), nullable=True),
        sa.Column("submitted_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("round_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["membership_id"], ["memberships.id"], name=op.f("fk_claims_membership_id_memberships")
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_claims_plan_id_plans")),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_claims_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claims_membership_id"), ["membership_id"], unique=False
        )
        batch_op.create_index("ix_claims_plan_id_state", ["plan_id", "state"], unique=False)

    op.create_table(
        "member_charges",
        sa.Column("round_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "membership_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_member_charges_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("round_id", "membership_id", name=op.f("pk_member_charges")),
    )


def downgrade() -> None:
    op.drop_table("member_charges")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_plan_id_state")
        batch_op.drop_index(batch_op.f("ix_claims_membership_id"))

    op.drop_table("claims")
    op.drop_table("rounds")
    with op.batch_alter_table("membership_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_events_membership_id"))

    op.drop_table("membership_events")
    with op.batch_alter_table("member_credits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_credits_membership_id"))

    op.drop_table("member_credits")
    with op.batch_alter_table("ledger_postings", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_postings_transaction_id")
        batch_op.drop_index("ix_ledger_postings_account_id_transaction_id")

    op.drop_table("ledger_postings")
    op.drop_table("plan_versions")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_memberships_live",
            sqlite_where=sa.text("lifecycle <> 'left'"),
            postgresql_where=sa.text("lifecycle <> 'left'"),
        )
        batch_op.drop_index("ix_memberships_plan_id_joined_at")
        batch_op.drop_index("ix_memberships_person_id")

    op.drop_table("memberships")
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_transactions_plan_id_id")

    op.drop_table("ledger_transactions")
    op.drop_table("ledger_heads")
    op.drop_table("ledger_accounts")
    op.drop_table("plans")
    op.drop_table("people")
