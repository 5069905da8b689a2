"""Reconciliation issues can be resolved: who resolved one, when, and the note saying how.

An issue stays open (and the audit keeps showing it) until an operator resolves it with a note;
the note and the resolver are kept on the row and in the audit log.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import huzhu.storage.tables

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reconciliation_issues") as batch:
        batch.add_column(sa.Column("resolved_at", huzhu.storage.tables.UTCDateTime(timezone=True)))
        batch.add_column(sa.Column("resolved_by", sa.BigInteger))
        batch.add_column(sa.Column("resolution", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("reconciliation_issues") as batch:
        batch.drop_column("resolution")
        batch.drop_column("resolved_by")
        batch.drop_column("resolved_at")
