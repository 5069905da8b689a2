"""A plan's lifecycle: its closing and the rounds its operator pays (issue 9).

`plan_closures` holds one row per closed plan (notice and end dates); `operator_paid_periods`
the announcement dates whose rounds the operator pays instead of the members (a promotion, or
a closing plan's remaining rounds).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from huzhu.storage.tables import BigId, UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan_closures",
        sa.Column("plan_id", sa.String(64), sa.ForeignKey("plans.id"), primary_key=True),
        sa.Column("notice_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("refund_past_shares", sa.Boolean(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "operator_paid_periods",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.String(64), sa.ForeignKey("plans.id"), nullable=False),
        sa.Column("first_date", sa.Date(), nullable=False),
        sa.Column("last_date", sa.Date()),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_operator_paid_periods_plan_id", "operator_paid_periods", ["plan_id"])


def downgrade() -> None:
    op.drop_index("ix_operator_paid_periods_plan_id", table_name="operator_paid_periods")
    op.drop_table("operator_paid_periods")
    op.drop_table("plan_closures")
