"""Identity checks: an ID number given by an account while already on file waits for the operator.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import huzhu.storage.tables

BigId = huzhu.storage.tables.BigId

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_checks",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("account_id", BigId, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("person_id", BigId, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("created_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", huzhu.storage.tables.UTCDateTime(timezone=True)),
        sa.Column("resolved_by", BigId, sa.ForeignKey("accounts.id")),
    )
    op.create_index("ix_identity_checks_account_id", "identity_checks", ["account_id"])
    op.create_index("ix_identity_checks_state_id", "identity_checks", ["state", "id"])


def downgrade() -> None:
    op.drop_table("identity_checks")
