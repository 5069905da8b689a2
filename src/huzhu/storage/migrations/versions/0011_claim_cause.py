"""A claim records its cause: an illness or an accident (issue 9).

A plan may cover a condition caused by an accident from the accident wait (Xiang Hu Bao: day
one) rather than the illness wait, so the cause is part of the claim. Claims made before this
migration were all assessed as illnesses.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(
            sa.Column("cause", sa.String(length=10), nullable=False, server_default="illness")
        )


def downgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("cause")
