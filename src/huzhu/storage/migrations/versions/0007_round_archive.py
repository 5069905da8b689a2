"""Archived rounds: a record of every round whose charges left `member_charges`.

`archived_rounds` keeps, per archived round, what the archive must still add up to: its row count,
the sum of its amounts, what settled debit batches collected of them, and the Merkle root of its
charges. It is append-only, like the ledger and the public record (triggers refuse UPDATE and
DELETE).

Where the charges go differs by database (see `huzhu.services.record.archive`):

- PostgreSQL: the round's partition is detached and moved, whole, into the `huzhu_archive` schema
  created here. Nothing is copied; the operator may `pg_dump -t` and drop it.
- SQLite: the rows move into `member_charges_archive` (the same shape, keyed the same way, and
  append-only too). The append-only trigger on `member_charges` is replaced by one that lets a row
  leave only once its round is recorded here and an identical copy is in the archive, so no charge
  can be lost even by a careless DELETE.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import huzhu.storage.tables

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ARCHIVE_SCHEMA = "huzhu_archive"
REFUSE = "SELECT RAISE(ABORT, 'append-only: {table} rows are never changed')"
# A row may leave member_charges only as archiving moves it: recorded, and copied unchanged.
GUARDED_DELETE = """
    CREATE TRIGGER member_charges_no_delete BEFORE DELETE ON member_charges
    WHEN NOT EXISTS (SELECT 1 FROM archived_rounds r WHERE r.round_id = OLD.round_id)
      OR NOT EXISTS (
        SELECT 1 FROM member_charges_archive a
        WHERE a.round_id = OLD.round_id AND a.membership_id = OLD.membership_id
          AND a.amount = OLD.amount AND a.year_total IS OLD.year_total)
    BEGIN SELECT RAISE(ABORT, 'append-only: member_charges rows are never changed'); END
"""


def upgrade() -> None:
    op.create_table(
        "archived_rounds",
        sa.Column("round_id", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("archived_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("charge_rows", sa.BigInteger(), nullable=False),
        sa.Column("amount_total", sa.BigInteger(), nullable=False),
        sa.Column("paid_total", sa.BigInteger(), nullable=False),
        sa.Column("merkle_root", sa.String(length=64), nullable=False),
        sa.Column("chunk_size", sa.Integer(), nullable=False),
        sa.Column("stored_in", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_archived_rounds_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("round_id", name=op.f("pk_archived_rounds")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {ARCHIVE_SCHEMA}")
        # huzhu_append_only() comes from migration 0002.
        op.execute(
            "CREATE TRIGGER archived_rounds_append_only BEFORE UPDATE OR DELETE ON "
            "archived_rounds FOR EACH ROW EXECUTE FUNCTION huzhu_append_only()"
        )
        return
    op.execute(
        """
        CREATE TABLE member_charges_archive (
            membership_id INTEGER NOT NULL,
            round_id INTEGER NOT NULL,
            amount INTEGER NOT NULL,
            year_total INTEGER,
            PRIMARY KEY (round_id, membership_id)
        ) WITHOUT ROWID
        """
    )
    for table in ("archived_rounds", "member_charges_archive"):
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN {REFUSE.format(table=table)}; END"
            )
    op.execute("DROP TRIGGER member_charges_no_delete")
    op.execute(GUARDED_DELETE)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.scalar(sa.text("SELECT COUNT(*) FROM archived_rounds")):
        raise NotImplementedError(
            "rounds are archived: put their charges back in member_charges before going below 0007"
        )
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER archived_rounds_append_only ON archived_rounds")
        op.execute(f"DROP SCHEMA IF EXISTS {ARCHIVE_SCHEMA}")  # refuses if anything is left in it
    else:
        op.execute("DROP TRIGGER member_charges_no_delete")
        op.execute(
            "CREATE TRIGGER member_charges_no_delete BEFORE DELETE ON member_charges "
            f"BEGIN {REFUSE.format(table='member_charges')}; END"
        )
        for table in ("archived_rounds", "member_charges_archive"):
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_no_{action}")
        op.execute("DROP TABLE member_charges_archive")
    op.drop_table("archived_rounds")
