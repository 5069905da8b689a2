"""Messages to members as a kind and parameters, worded in the reader's language when read.

The inbox and the outbox stored English sentences (`title`/`body`, `subject`/`body`). They now
hold `kind` and `params` (JSON), worded by `huzhu.messages`; rows written before keep their text
as kind `legacy-text` with params {"title", "body"} (and the old kind as "was"), shown as
written. People get the language their messages are worded in (`locale`, none: Chinese).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEGACY = "legacy-text"


def _legacy(table: str, title: str, has_kind: bool) -> None:
    """Old rows become `legacy-text` with their text as params, in one statement (an inbox may
    hold millions of rows)."""
    obj = "json_build_object" if op.get_bind().dialect.name == "postgresql" else "json_object"
    was = ", 'was', kind" if has_kind else ""
    op.execute(
        f"UPDATE {table} SET kind = '{LEGACY}', params = {obj}('title', {title}, 'body', body{was})"
    )


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=5), nullable=True))

    with op.batch_alter_table("inbox_messages") as batch:
        batch.add_column(sa.Column("params", sa.JSON(), nullable=True))
    _legacy("inbox_messages", "title", has_kind=True)
    with op.batch_alter_table("inbox_messages") as batch:
        batch.alter_column("params", existing_type=sa.JSON(), nullable=False)
        batch.drop_column("title")
        batch.drop_column("body")

    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("locale", sa.String(length=5), nullable=True))
    _legacy("outbox_messages", "subject", has_kind=False)
    op.execute("UPDATE outbox_messages SET locale = 'zh'")
    with op.batch_alter_table("outbox_messages") as batch:
        for name, kind in (("kind", sa.String(length=40)), ("params", sa.JSON()),
                           ("locale", sa.String(length=5))):  # fmt: skip
            batch.alter_column(name, existing_type=kind, nullable=False)
        batch.drop_column("subject")
        batch.drop_column("body")


def downgrade() -> None:
    # The text of kinded messages is not kept: they come back as their kind's name.
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("subject", sa.String(500), nullable=False, server_default=""))
        batch.add_column(sa.Column("body", sa.Text(), nullable=False, server_default=""))
    op.execute("UPDATE outbox_messages SET subject = kind")
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("locale")
        batch.drop_column("params")
        batch.drop_column("kind")
    with op.batch_alter_table("inbox_messages") as batch:
        batch.add_column(sa.Column("title", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("body", sa.Text(), nullable=False, server_default=""))
    op.execute("UPDATE inbox_messages SET title = kind")
    with op.batch_alter_table("inbox_messages") as batch:
        batch.drop_column("params")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("locale")
