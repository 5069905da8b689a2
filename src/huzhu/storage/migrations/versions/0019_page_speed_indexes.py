"""Indexes the console's claim queue needs: fraud signals count a plan's claims by hospital and by
diagnosis date around each claim of the page.

Without them each of those counts reads every claim of the plan (`ClaimSignalsRepository`),
once per page for all its claims but still a scan that grows with the plan's history.

Revision ID: 0019
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_claims_plan_id_hospital_diagnosis_date",
        "claims",
        ["plan_id", "hospital", "diagnosis_date"],
    )
    op.create_index("ix_claims_plan_id_diagnosis_date", "claims", ["plan_id", "diagnosis_date"])


def downgrade() -> None:
    op.drop_index("ix_claims_plan_id_diagnosis_date", table_name="claims")
    op.drop_index("ix_claims_plan_id_hospital_diagnosis_date", table_name="claims")
