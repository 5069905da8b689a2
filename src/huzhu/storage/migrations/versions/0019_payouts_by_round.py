"""Payouts are read a page at a time by round, in id order (the console's round money page), so
they are indexed by (round_id, id); before, each page scanned every payout of every round.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_payouts_round_id_id", "payouts", ["round_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_payouts_round_id_id", table_name="payouts")
