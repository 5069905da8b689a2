"""Claims workflow: evidence, investigation, announcements, objections, appeals, juries, inbox.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import huzhu.storage.tables

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "juror_tests",
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_score", sa.SmallInteger(), nullable=False),
        sa.Column(
            "last_attempt_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("passed_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_juror_tests_person_id_people")
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_juror_tests")),
    )
    op.create_table(
        "claim_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("claim_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_events_claim_id_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_events")),
    )
    op.create_index(op.f("ix_claim_events_claim_id"), "claim_events", ["claim_id"], unique=False)
    op.create_table(
        "claim_evidence",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("claim_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=True),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_evidence_claim_id_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_evidence")),
        sa.UniqueConstraint("claim_id", "sha256", name=op.f("uq_claim_evidence_claim_id_sha256")),
    )
    op.create_index("ix_claim_evidence_sha256", "claim_evidence", ["sha256"], unique=False)
    op.create_table(
        "claim_objections",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("claim_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reviewed_by", sa.String(length=100), nullable=True),
        sa.Column("reviewed_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_objections_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_claim_objections_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_objections")),
        sa.UniqueConstraint(
            "claim_id", "person_id", name=op.f("uq_claim_objections_claim_id_person_id")
        ),
    )
    op.create_table(
        "claim_workflow",
        sa.Column("claim_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "assignee_account_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("documents_due", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("documents_note", sa.Text(), nullable=True),
        sa.Column("window_ends_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("appeal_until", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("final_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("jury_decided", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_account_id"],
            ["accounts.id"],
            name=op.f("fk_claim_workflow_assignee_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_workflow_claim_id_claims")
        ),
        sa.PrimaryKeyConstraint("claim_id", name=op.f("pk_claim_workflow")),
    )
    op.create_index(
        "ix_claim_workflow_assignee_account_id",
        "claim_workflow",
        ["assignee_account_id"],
        unique=False,
    )
    op.create_index(
        "ix_claim_workflow_documents_due", "claim_workflow", ["documents_due"], unique=False
    )
    op.create_index(
        "ix_claim_workflow_window_ends_at", "claim_workflow", ["window_ends_at"], unique=False
    )
    op.create_table(
        "inbox_messages",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("claim_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_inbox_messages_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_inbox_messages_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_messages")),
    )
    op.create_index(
        "ix_inbox_messages_person_id_id", "inbox_messages", ["person_id", "id"], unique=False
    )
    op.create_table(
        "juries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("claim_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seed", sa.String(length=128), nullable=False),
        sa.Column("size", sa.SmallInteger(), nullable=False),
        sa.Column("quorum", sa.SmallInteger(), nullable=False),
        sa.Column("eligible_count", sa.Integer(), nullable=False),
        sa.Column("eligible_digest", sa.String(length=64), nullable=False),
        sa.Column("drawn_by", sa.String(length=100), nullable=False),
        sa.Column("drawn_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deadline", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("closed_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("result", sa.String(length=12), nullable=True),
        sa.Column("overturn", sa.Integer(), nullable=True),
        sa.Column("uphold", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_juries_claim_id_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_juries")),
    )
    op.create_index(op.f("ix_juries_claim_id"), "juries", ["claim_id"], unique=False)
    op.create_table(
        "jurors",
        sa.Column("jury_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("seq", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("drawn_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("responded_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("vote", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(["jury_id"], ["juries.id"], name=op.f("fk_jurors_jury_id_juries")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_jurors_person_id_people")
        ),
        sa.PrimaryKeyConstraint("jury_id", "person_id", name=op.f("pk_jurors")),
        sa.UniqueConstraint("jury_id", "seq", name=op.f("uq_jurors_jury_id_seq")),
    )
    op.create_index("ix_jurors_person_id", "jurors", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_jurors_person_id", table_name="jurors")
    op.drop_table("jurors")
    op.drop_index(op.f("ix_juries_claim_id"), table_name="juries")
    op.drop_table("juries")
    op.drop_index("ix_inbox_messages_person_id_id", table_name="inbox_messages")
    op.drop_table("inbox_messages")
    op.drop_index("ix_claim_workflow_window_ends_at", table_name="claim_workflow")
    op.drop_index("ix_claim_workflow_documents_due", table_name="claim_workflow")
    op.drop_index("ix_claim_workflow_assignee_account_id", table_name="claim_workflow")
    op.drop_table("claim_workflow")
    op.drop_table("claim_objections")
    op.drop_index("ix_claim_evidence_sha256", table_name="claim_evidence")
    op.drop_table("claim_evidence")
    op.drop_index(op.f("ix_claim_events_claim_id"), table_name="claim_events")
    op.drop_table("claim_events")
    op.drop_table("juror_tests")
