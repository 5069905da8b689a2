"""The console's member lookup by name: an index on people.name, so that an exact name is one
index probe with a million members, not a scan.

Revision ID: 0016
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_people_name", "people", ["name"])


def downgrade() -> None:
    op.drop_index("ix_people_name", table_name="people")
