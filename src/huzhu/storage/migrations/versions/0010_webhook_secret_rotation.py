"""Webhook secret rotation: a host app's previous webhook secret, signed with until a deadline.

Standard Webhooks sends one signature per secret in force, so a host app can switch to its new
secret while events signed with the old one are still arriving.

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import huzhu.storage.tables

revision: str = "0010"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("host_apps") as batch:
        batch.add_column(sa.Column("webhook_secret_previous", sa.String(length=128), nullable=True))
        batch.add_column(
            sa.Column(
                "webhook_secret_previous_until", huzhu.storage.tables.UTCDateTime(), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("host_apps") as batch:
        batch.drop_column("webhook_secret_previous_until")
        batch.drop_column("webhook_secret_previous")
