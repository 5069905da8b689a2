"""Public-vote juries and time-stamped chain heads (issue 9).

A plan may let every member who may sit vote on an appeal (Xiang Hu Bao): a jury records its
mode and threshold, and `jury_votes` holds one sealed ballot per member per jury (the primary key
refuses a second). `timestamp_tokens` keeps RFC 3161 tokens over chain heads. Juries drawn before
this migration were all drawn juries decided by a strict majority.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from huzhu.storage.tables import BigId, UTCDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("juries") as batch:
        batch.add_column(
            sa.Column("mode", sa.String(length=10), nullable=False, server_default="drawn")
        )
        batch.add_column(sa.Column("threshold_percent", sa.SmallInteger(), nullable=True))
    op.create_table(
        "jury_votes",
        sa.Column("jury_id", BigId, sa.ForeignKey("juries.id"), primary_key=True),
        sa.Column("person_id", BigId, sa.ForeignKey("people.id"), primary_key=True),
        sa.Column("vote", sa.String(length=10), nullable=False),
        sa.Column("cast_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "timestamp_tokens",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("tsa_url", sa.String(length=500), nullable=False),
        sa.Column("token", sa.LargeBinary(), nullable=False),
        sa.Column("gen_time", UTCDateTime(), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("timestamp_tokens")
    op.drop_table("jury_votes")
    with op.batch_alter_table("juries") as batch:
        batch.drop_column("threshold_percent")
        batch.drop_column("mode")
