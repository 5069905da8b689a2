"""Indexes the console needs at a million members.

- The claim queue's fraud signals count a plan's claims by hospital and by diagnosis date around
  each claim of the page (`ClaimSignalsRepository`); without these, a scan of the plan's claims.
- The dashboard counts leaves per day of the last 90 days: without an index on `left_at`, a scan
  of every membership (180-280 ms at a million). The index holds only memberships that ended
  (partial, `left_at IS NOT NULL`), so a join writes nothing to it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_claims_plan_id_hospital_diagnosis_date",
        "claims",
        ["plan_id", "hospital", "diagnosis_date"],
    )
    op.create_index("ix_claims_plan_id_diagnosis_date", "claims", ["plan_id", "diagnosis_date"])
    op.create_index(
        "ix_memberships_left_at",
        "memberships",
        ["left_at"],
        sqlite_where=sa.text("left_at IS NOT NULL"),
        postgresql_where=sa.text("left_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_memberships_left_at", table_name="memberships")
    op.drop_index("ix_claims_plan_id_diagnosis_date", table_name="claims")
    op.drop_index("ix_claims_plan_id_hospital_diagnosis_date", table_name="claims")
