"""Tables of the claims workflow: deadlines and assignment, the claim's history, evidence,
objections, juries and jurors, the juror test, and the members' in-app inbox.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
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

claim_workflow = Table(
    "claim_workflow",
    metadata,
    Column("claim_id", BigId, ForeignKey("claims.id"), primary_key=True),
    Column("assignee_account_id", BigId, ForeignKey("accounts.id")),
    Column("documents_due", UTCDateTime()),
    Column("documents_note", Text),
    Column("window_ends_at", UTCDateTime()),
    Column("appeal_until", UTCDateTime()),
    Column("final_at", UTCDateTime()),
    Column("jury_decided", Boolean, nullable=False, default=False),
    Index("ix_claim_workflow_window_ends_at", "window_ends_at"),
    Index("ix_claim_workflow_documents_due", "documents_due"),
    Index("ix_claim_workflow_assignee_account_id", "assignee_account_id"),
)

# Every step of every claim, with who took it: the claim's history and the investigator's findings.
claim_events = Table(
    "claim_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("claim_id", BigId, ForeignKey("claims.id"), nullable=False, index=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(40), nullable=False),
    Column("from_state", String(20)),
    Column("to_state", String(20)),
    Column("details", JSON, nullable=False),
)

claim_evidence = Table(
    "claim_evidence",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("claim_id", BigId, ForeignKey("claims.id"), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("media_type", String(40), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("filename", String(200)),
    Column("uploaded_by", String(100), nullable=False),
    Column("uploaded_at", UTCDateTime(), nullable=False),
    UniqueConstraint("claim_id", "sha256"),
    Index("ix_claim_evidence_sha256", "sha256"),
)

claim_objections = Table(
    "claim_objections",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("claim_id", BigId, ForeignKey("claims.id"), nullable=False),
    Column("person_id", BigId, ForeignKey("people.id"), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("status", String(12), nullable=False),
    Column("reviewed_by", String(100)),
    Column("reviewed_at", UTCDateTime()),
    Column("review_note", Text),
    UniqueConstraint("claim_id", "person_id"),
)

juries = Table(
    "juries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("claim_id", BigId, ForeignKey("claims.id"), nullable=False, index=True),
    Column("seed", String(128), nullable=False),
    Column("size", SmallInteger, nullable=False),
    Column("quorum", SmallInteger, nullable=False),
    Column("eligible_count", Integer, nullable=False),
    Column("eligible_digest", String(64), nullable=False),
    Column("drawn_by", String(100), nullable=False),
    Column("drawn_at", UTCDateTime(), nullable=False),
    Column("deadline", UTCDateTime(), nullable=False),
    Column("status", String(10), nullable=False),
    Column("closed_at", UTCDateTime()),
    Column("result", String(12)),
    Column("overturn", Integer),
    Column("uphold", Integer),
    # "drawn" or "public" (migration 0018); a public vote has no seed (stored as "").
    Column("mode", String(10), nullable=False, server_default="drawn"),
    Column("threshold_percent", SmallInteger),
)

# A public vote's ballots: one per member per jury, by the primary key (concurrent votes by one
# member: one is counted, the other violates it). Sealed like jurors.vote until the close.
jury_votes = Table(
    "jury_votes",
    metadata,
    Column("jury_id", BigId, ForeignKey("juries.id"), primary_key=True),
    Column("person_id", BigId, ForeignKey("people.id"), primary_key=True),
    Column("vote", String(10), nullable=False),
    Column("cast_at", UTCDateTime(), nullable=False),
)

# Votes are sealed: nothing reads `vote` before the jury closes.
jurors = Table(
    "jurors",
    metadata,
    Column("jury_id", BigId, ForeignKey("juries.id"), primary_key=True),
    Column("person_id", BigId, ForeignKey("people.id"), primary_key=True),
    Column("seq", SmallInteger, nullable=False),
    Column("status", String(10), nullable=False),
    Column("drawn_at", UTCDateTime(), nullable=False),
    Column("responded_at", UTCDateTime()),
    Column("vote", String(10)),
    UniqueConstraint("jury_id", "seq"),
    Index("ix_jurors_person_id", "person_id"),
)

juror_tests = Table(
    "juror_tests",
    metadata,
    Column("person_id", BigId, ForeignKey("people.id"), primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("last_score", SmallInteger, nullable=False),
    Column("last_attempt_at", UTCDateTime(), nullable=False),
    Column("passed_at", UTCDateTime()),
)

inbox_messages = Table(
    "inbox_messages",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("person_id", BigId, ForeignKey("people.id"), nullable=False),
    Column("claim_id", BigId, ForeignKey("claims.id")),
    Column("kind", String(40), nullable=False),
    Column("params", JSON, nullable=False),  # worded when read: huzhu.messages
    Column("created_at", UTCDateTime(), nullable=False),
    Column("read_at", UTCDateTime()),
    Index("ix_inbox_messages_person_id_id", "person_id", "id"),
)
