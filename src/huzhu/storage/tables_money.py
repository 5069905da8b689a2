"""Tables for money that leaves or enters a plan: collections, gateway callbacks, payouts.

Collections are tracked per batch (one gateway instruction for many members) and per failure, never
per successful member: at 100 million members a row per success would double every round's size.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from huzhu.storage.tables import BigId, UTCDateTime, metadata

collection_batches = Table(
    "collection_batches",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # None for a prepaid top-up instruction, which belongs to no round.
    Column("round_id", BigId, ForeignKey("rounds.id")),
    Column("plan_id", String(64), ForeignKey("plans.id"), nullable=False),
    Column("batch_no", Integer, nullable=False),
    # debit | retry | top-up | prepaid (the marker of a prepaid round's balance check)
    Column("kind", String(10), nullable=False),
    Column("first_membership_id", BigId, nullable=False),
    Column("last_membership_id", BigId, nullable=False),
    Column("items", Integer, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("status", String(12), nullable=False),  # submitted | settled
    Column("gateway_ref", String(100), nullable=False, unique=True),
    Column("submitted_at", UTCDateTime(), nullable=False),
    Column("settled_at", UTCDateTime()),
    Column("collected", BigInteger, nullable=False),
    Column("failed_items", Integer, nullable=False),
    Column("failed_amount", BigInteger, nullable=False),
    Column("transaction_id", BigId, ForeignKey("ledger_transactions.id")),
    UniqueConstraint("round_id", "batch_no"),
    # Which debit batch covers a member: one probe (the greatest first id not above theirs).
    Index(
        "ix_collection_batches_round_id_kind_first_membership_id",
        "round_id",
        "kind",
        "first_membership_id",
    ),
)

collection_failures = Table(
    "collection_failures",
    metadata,
    Column("round_id", BigId, ForeignKey("rounds.id"), primary_key=True),
    Column("membership_id", BigId, primary_key=True),
    Column("plan_id", String(64), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("reason", String(60), nullable=False),
    Column("attempts", SmallInteger, nullable=False),
    Column("first_failed_at", UTCDateTime(), nullable=False),
    Column("retry_batch_id", BigId, ForeignKey("collection_batches.id")),
    # outstanding | retrying | collected | written-off | waived (left before the collection date)
    Column("status", String(12), nullable=False),
    Column("closed_at", UTCDateTime()),
    Index("ix_collection_failures_status_round_id", "status", "round_id"),
)

payouts = Table(
    "payouts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("claim_id", BigId, ForeignKey("claims.id"), nullable=False, unique=True),
    Column("round_id", BigId, ForeignKey("rounds.id"), nullable=False),
    Column("plan_id", String(64), nullable=False),
    Column("membership_id", BigId, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("status", String(12), nullable=False),  # submitted | paid | failed
    Column("gateway_ref", String(100), nullable=False, unique=True),
    Column("submitted_at", UTCDateTime(), nullable=False),
    Column("paid_at", UTCDateTime()),
    Column("attempts", SmallInteger, nullable=False),
    Column("transaction_id", BigId, ForeignKey("ledger_transactions.id")),
    Index("ix_payouts_round_id_id", "round_id", "id"),  # the round money page, by keyset
)

# Every callback the gateway sent, kept whatever happened to it: applied, a duplicate, or refused.
gateway_events = Table(
    "gateway_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("gateway", String(40), nullable=False),
    Column("event_id", String(100)),
    Column("type", String(40)),
    Column("ref", String(100)),
    Column("payload", JSON, nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("detail", Text),
    Index("ix_gateway_events_gateway_event_id", "gateway", "event_id"),
)

reconciliation_issues = Table(
    "reconciliation_issues",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("run_at", UTCDateTime(), nullable=False),
    Column("gateway", String(40), nullable=False),
    Column("statement_date", Date, nullable=False),
    Column("ref", String(100), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("expected", BigInteger),
    Column("actual", BigInteger),
    Column("detail", Text, nullable=False),
    Column("resolved_at", UTCDateTime()),  # open until an operator resolves it with a note
    Column("resolved_by", BigInteger),
    Column("resolution", Text),
)

# The built-in sandbox gateway keeps what it was asked to do here, so that separate processes
# (the CLI, the server) see the same sandbox "bank".
sandbox_requests = Table(
    "sandbox_requests",
    metadata,
    Column("ref", String(100), primary_key=True),
    Column("kind", String(10), nullable=False),  # debit | payout
    Column("payload", JSON, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("submitted_at", UTCDateTime(), nullable=False),
    Column("callbacks_sent", SmallInteger, nullable=False),
)
