"""Secrets generated per database, and one payout per membership as a constraint.

The sandbox gateway signed its callbacks with the published string `sandbox-secret` unless
`HUZHU_SANDBOX_GATEWAY_SECRET` was set, so anyone could forge `payout.failed` or `debit.settled`.
Each database now gets its own random secret when it is created or migrated (`huzhu init` runs
the migrations); the environment variable still overrides it.

`uq_claims_one_payout`: at most one claim of a membership announced, approved, shared or paid.
The services decide on locked rows; this is the database's own word on it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import huzhu.storage.tables

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "instance_secrets",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("created_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(
        table,
        [
            {
                "name": "sandbox-gateway",
                "value": secrets.token_hex(32),
                "created_at": datetime.now(UTC),
            }
        ],
    )

    promised = sa.text("state IN ('announced', 'approved', 'shared', 'paid')")
    op.create_index(
        "uq_claims_one_payout",
        "claims",
        ["membership_id"],
        unique=True,
        sqlite_where=promised,
        postgresql_where=promised,
    )


def downgrade() -> None:
    op.drop_index("uq_claims_one_payout", table_name="claims")
    op.drop_table("instance_secrets")
