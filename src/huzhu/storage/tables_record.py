"""Tables of the public record: the hash-chained log and the per-round Merkle trees.

The log is one global chain: `public_log_head` holds its newest entry, and locking that single row
serialises appends. The Merkle tables keep a round's tree in two levels so that 100 million charges
never need 200 million stored nodes: only the root of every chunk of `CHUNK_SIZE` consecutive leaves
(`round_merkle_chunks`) and the small tree above those roots (`round_merkle_nodes`) are stored; an
inclusion proof recomputes its one chunk from `member_charges`.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
)

from huzhu.storage.tables import BigId, UTCDateTime, metadata

# Every entry the operator published, in order. Append-only (migration 0006 adds the triggers).
public_log = Table(
    "public_log",
    metadata,
    # Assigned by the append (head seq + 1), so the chain has no gaps.
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("subject", String(100), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("prev_digest", String(64), nullable=False),
    Column("digest", String(64), nullable=False),
    Index("ix_public_log_subject_seq", "subject", "seq"),
    Index("ix_public_log_kind_seq", "kind", "seq"),
)

# One row (id 1): the newest entry's seq and digest. Locked FOR UPDATE by every append.
public_log_head = Table(
    "public_log_head",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("digest", String(64), nullable=False),
)

# RFC 3161 time-stamp tokens over chain heads: a time-stamping authority's signed word that the
# chain stood at (seq, digest) no later than gen_time. `huzhu verify` re-checks each token.
timestamp_tokens = Table(
    "timestamp_tokens",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("seq", BigInteger, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("tsa_url", String(500), nullable=False),
    Column("token", LargeBinary, nullable=False),
    Column("gen_time", UTCDateTime(), nullable=False),
    Column("requested_at", UTCDateTime(), nullable=False),
)

# A round's published Merkle root over its members' charges.
round_merkle = Table(
    "round_merkle",
    metadata,
    Column("round_id", BigId, ForeignKey("rounds.id"), primary_key=True, autoincrement=False),
    Column("leaves", BigInteger, nullable=False),
    Column("chunk_size", Integer, nullable=False),
    Column("chunks", BigInteger, nullable=False),
    Column("root", String(64), nullable=False),
    Column("computed_at", UTCDateTime(), nullable=False),
)

# The root of each chunk of consecutive leaves (in membership_id order) and the membership ids
# it spans, so a proof finds its chunk with one index lookup and rescans only that range.
round_merkle_chunks = Table(
    "round_merkle_chunks",
    metadata,
    Column("round_id", BigId, ForeignKey("rounds.id"), primary_key=True, autoincrement=False),
    Column("chunk_no", BigInteger, primary_key=True, autoincrement=False),
    Column("first_membership_id", BigInteger, nullable=False),
    Column("last_membership_id", BigInteger, nullable=False),
    Column("root", String(64), nullable=False),
    Index(
        "ix_round_merkle_chunks_round_id_first_membership_id",
        "round_id",
        "first_membership_id",
        unique=True,
    ),
)

# The tree above the chunk roots: level 1 pairs chunk roots, the top level holds the round's root.
round_merkle_nodes = Table(
    "round_merkle_nodes",
    metadata,
    Column("round_id", BigId, ForeignKey("rounds.id"), primary_key=True, autoincrement=False),
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("digest", String(64), nullable=False),
)
