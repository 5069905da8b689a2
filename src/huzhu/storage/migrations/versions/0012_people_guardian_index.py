"""An index on `people.guardian_id`: a member's dependants are looked up on every portal page.

Without it, listing a guardian's dependants (`PersonRepository.dependants`, behind every ownership
check that includes dependants) reads the whole `people` table: about half a second per page at a
million people.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_people_guardian_id", "people", ["guardian_id"])


def downgrade() -> None:
    op.drop_index("ix_people_guardian_id", table_name="people")
