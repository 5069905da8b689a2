"""Rounds at scale: partitioned member charges with running totals, and the tables of collection,
gateway callbacks, payouts and reconciliation.

member_charges is rebuilt. On PostgreSQL it becomes a LIST-partitioned table, one partition per
round, each with a unique index on membership_id and no foreign keys: a round then writes at bulk
speed, a member can never be charged twice in a round, and old rounds can be detached and archived.
On SQLite it becomes a WITHOUT ROWID table keyed by (round_id, membership_id). Existing charges are
copied, with their calendar-year running totals computed on the way.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import huzhu.storage.tables

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = "membership_id, round_id, amount, year_total"


def _copy_select(year: str) -> str:
    return f"""
        SELECT c.membership_id, c.round_id, c.amount,
               SUM(c.amount) OVER (
                   PARTITION BY c.membership_id, r.plan_id, {year}
                   ORDER BY r.announce_date
               )
        FROM member_charges_old c JOIN rounds r ON r.id = c.round_id
    """


def _rebuild_postgresql() -> None:
    bind = op.get_bind()
    op.execute("DROP TRIGGER member_charges_append_only ON member_charges")
    op.execute("ALTER TABLE member_charges RENAME TO member_charges_old")
    op.execute(
        """
        CREATE TABLE member_charges (
            membership_id bigint NOT NULL,
            round_id bigint NOT NULL,
            amount integer NOT NULL,
            year_total integer
        ) PARTITION BY LIST (round_id)
        """
    )
    op.execute(
        "CREATE TRIGGER member_charges_append_only BEFORE UPDATE OR DELETE ON member_charges "
        "FOR EACH ROW EXECUTE FUNCTION huzhu_append_only()"
    )
    rounds = [
        r[0] for r in bind.execute(sa.text("SELECT DISTINCT round_id FROM member_charges_old"))
    ]
    for round_id in rounds:
        op.execute(
            f"CREATE TABLE member_charges_r{round_id} PARTITION OF member_charges "
            f"FOR VALUES IN ({round_id})"
        )
    select = _copy_select("EXTRACT(YEAR FROM r.announce_date)")
    op.execute(f"INSERT INTO member_charges ({COLUMNS}) {select}")
    for round_id in rounds:
        op.execute(
            f"CREATE UNIQUE INDEX member_charges_r{round_id}_membership_id "
            f"ON member_charges_r{round_id} (membership_id)"
        )
    op.execute("DROP TABLE member_charges_old")


def _rebuild_sqlite() -> None:
    op.execute("DROP TRIGGER member_charges_no_update")
    op.execute("DROP TRIGGER member_charges_no_delete")
    op.execute("ALTER TABLE member_charges RENAME TO member_charges_old")
    op.execute(
        """
        CREATE TABLE member_charges (
            membership_id INTEGER NOT NULL,
            round_id INTEGER NOT NULL,
            amount INTEGER NOT NULL,
            year_total INTEGER,
            PRIMARY KEY (round_id, membership_id)
        ) WITHOUT ROWID
        """
    )
    select = _copy_select("strftime('%Y', r.announce_date)")
    op.execute(f"INSERT INTO member_charges ({COLUMNS}) {select}")
    # No index on membership_id: it would turn every round's append into scattered inserts.
    # A member's history is read through the rounds, one key lookup per round.
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER member_charges_no_{action.lower()} BEFORE {action} ON member_charges "
            "BEGIN SELECT RAISE(ABORT, 'append-only: member_charges rows are never changed'); END"
        )
    op.execute("DROP TABLE member_charges_old")


def upgrade() -> None:
    op.create_table(
        "gateway_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("gateway", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=True),
        sa.Column("type", sa.String(length=40), nullable=True),
        sa.Column("ref", sa.String(length=100), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_events")),
    )
    with op.batch_alter_table("gateway_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_gateway_events_gateway_event_id", ["gateway", "event_id"], unique=False
        )

    op.create_table(
        "reconciliation_issues",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("gateway", sa.String(length=40), nullable=False),
        sa.Column("statement_date", sa.Date(), nullable=False),
        sa.Column("ref", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("expected", sa.BigInteger(), nullable=True),
        sa.Column("actual", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_issues")),
    )
    op.create_table(
        "sandbox_requests",
        sa.Column("ref", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("submitted_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("callbacks_sent", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("ref", name=op.f("pk_sandbox_requests")),
    )
    op.create_table(
        "collection_batches",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("round_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("batch_no", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column(
            "first_membership_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "last_membership_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("gateway_ref", sa.String(length=100), nullable=False),
        sa.Column("submitted_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("settled_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("collected", sa.BigInteger(), nullable=False),
        sa.Column("failed_items", sa.Integer(), nullable=False),
        sa.Column("failed_amount", sa.BigInteger(), nullable=False),
        sa.Column(
            "transaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_collection_batches_plan_id_plans")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_collection_batches_round_id_rounds")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_collection_batches_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_batches")),
        sa.UniqueConstraint("gateway_ref", name=op.f("uq_collection_batches_gateway_ref")),
        sa.UniqueConstraint(
            "round_id", "batch_no", name=op.f("uq_collection_batches_round_id_batch_no")
        ),
        sa.Index(
            "ix_collection_batches_round_id_kind_first_membership_id",
            "round_id",
            "kind",
            "first_membership_id",
        ),
    )
    op.create_table(
        "collection_failures",
        sa.Column("round_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "membership_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column(
            "first_failed_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "retry_batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("closed_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["retry_batch_id"],
            ["collection_batches.id"],
            name=op.f("fk_collection_failures_retry_batch_id_collection_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_collection_failures_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("round_id", "membership_id", name=op.f("pk_collection_failures")),
    )
    with op.batch_alter_table("collection_failures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_collection_failures_status_round_id", ["status", "round_id"], unique=False
        )

    op.create_table(
        "payouts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("claim_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("round_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column(
            "membership_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("gateway_ref", sa.String(length=100), nullable=False),
        sa.Column("submitted_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paid_at", huzhu.storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column(
            "transaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_payouts_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_payouts_round_id_rounds")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_payouts_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
        sa.UniqueConstraint("claim_id", name=op.f("uq_payouts_claim_id")),
        sa.UniqueConstraint("gateway_ref", name=op.f("uq_payouts_gateway_ref")),
    )
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("charge_rows", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("year_max", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("year_totals", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        # Age-out finds who reached the exit age without scanning every membership.
        batch_op.create_index("ix_memberships_plan_id_exit_on", ["plan_id", "exit_on"])
    if op.get_bind().dialect.name == "postgresql":
        _rebuild_postgresql()
    else:
        _rebuild_sqlite()
    # Copied rows carry their year totals, so later rounds may read them.
    op.execute(
        "UPDATE rounds SET year_totals = true, charge_rows = "
        "(SELECT COUNT(*) FROM member_charges c WHERE c.round_id = rounds.id)"
    )


def downgrade() -> None:
    raise NotImplementedError("0004 rebuilds member_charges; restore from a backup to go back")
