"""An index on people's names, so that `huzhu members find --name` is a lookup, not a scan.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_people_name", "people", ["name"])


def downgrade() -> None:
    op.drop_index("ix_people_name", table_name="people")
