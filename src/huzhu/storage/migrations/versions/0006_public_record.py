"""The public record: a hash-chained log and per-round Merkle roots.

The log and the Merkle tables are append-only, like the ledger (migration 0002): triggers refuse
UPDATE and DELETE; `huzhu verify` catches anyone who drops them. `public_log_head` is the one row
every append updates (and locks).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import huzhu.storage.tables

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("public_log", "round_merkle", "round_merkle_chunks", "round_merkle_nodes")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "public_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_digest", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_public_log")),
    )
    op.create_index("ix_public_log_subject_seq", "public_log", ["subject", "seq"])
    op.create_index("ix_public_log_kind_seq", "public_log", ["kind", "seq"])
    op.create_table(
        "public_log_head",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_log_head")),
    )
    op.create_table(
        "round_merkle",
        sa.Column("round_id", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("leaves", sa.BigInteger(), nullable=False),
        sa.Column("chunk_size", sa.Integer(), nullable=False),
        sa.Column("chunks", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("computed_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_round_merkle_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("round_id", name=op.f("pk_round_merkle")),
    )
    op.create_table(
        "round_merkle_chunks",
        sa.Column("round_id", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("chunk_no", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("first_membership_id", sa.BigInteger(), nullable=False),
        sa.Column("last_membership_id", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_round_merkle_chunks_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("round_id", "chunk_no", name=op.f("pk_round_merkle_chunks")),
    )
    op.create_index(
        "ix_round_merkle_chunks_round_id_first_membership_id",
        "round_merkle_chunks",
        ["round_id", "first_membership_id"],
        unique=True,
    )
    op.create_table(
        "round_merkle_nodes",
        sa.Column("round_id", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_round_merkle_nodes_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("round_id", "level", "idx", name=op.f("pk_round_merkle_nodes")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # huzhu_append_only() comes from migration 0002.
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION huzhu_append_only()"
            )
        return
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'append-only: {table} rows are never changed'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
    else:
        for table in APPEND_ONLY:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_no_{action}")
    op.drop_table("round_merkle_nodes")
    op.drop_index(
        "ix_round_merkle_chunks_round_id_first_membership_id", table_name="round_merkle_chunks"
    )
    op.drop_table("round_merkle_chunks")
    op.drop_table("round_merkle")
    op.drop_table("public_log_head")
    op.drop_index("ix_public_log_kind_seq", table_name="public_log")
    op.drop_index("ix_public_log_subject_seq", table_name="public_log")
    op.drop_table("public_log")
