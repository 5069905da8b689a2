"""Webhook secret rotation, and the outbox of e-mail and SMS.

A host app's previous webhook secret is kept, and signed with, until a deadline.

Standard Webhooks sends one signature per secret in force, so a host app can switch to its new
secret while events signed with the old one are still arriving.

`outbox_messages` holds e-mail and SMS written in the transaction that decided to send them, so a
crash before they leave loses none.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import huzhu.storage.tables

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", huzhu.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", huzhu.storage.tables.UTCDateTime(), nullable=True),
        sa.Column("sent_at", huzhu.storage.tables.UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("ix_outbox_messages_next_attempt_at", "outbox_messages", ["next_attempt_at"])
    with op.batch_alter_table("host_apps") as batch:
        batch.add_column(sa.Column("webhook_secret_previous", sa.String(length=128), nullable=True))
        batch.add_column(
            sa.Column(
                "webhook_secret_previous_until", huzhu.storage.tables.UTCDateTime(), nullable=True
            )
        )


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_next_attempt_at", table_name="outbox_messages")
    op.drop_table("outbox_messages")
    with op.batch_alter_table("host_apps") as batch:
        batch.drop_column("webhook_secret_previous_until")
        batch.drop_column("webhook_secret_previous")
