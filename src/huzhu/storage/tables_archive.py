"""Tables of archived rounds (migration 0007).

`archived_rounds` is on both databases. Where an archived round's charges live differs:

- PostgreSQL: the round's own table `huzhu_archive.member_charges_r<round id>`, the partition
  detached from `member_charges` and moved there whole (`archive_partition` names it);
- SQLite: `member_charges_archive`, one table for every archived round. It sits on a metadata of
  its own, because it does not exist on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    column,
    table,
)

from huzhu.storage.tables import BigId, UTCDateTime, metadata

ARCHIVE_SCHEMA = "huzhu_archive"

# One row per archived round, written once (append-only): what its archived charges must still
# add up to, so the audit can check them, or vouch for them once the operator has dropped them.
archived_rounds = Table(
    "archived_rounds",
    metadata,
    Column("round_id", BigId, ForeignKey("rounds.id"), primary_key=True, autoincrement=False),
    Column("plan_id", String(64), nullable=False),
    Column("archived_at", UTCDateTime(), nullable=False),
    Column("charge_rows", BigInteger, nullable=False),
    Column("amount_total", BigInteger, nullable=False),
    # Of amount_total, what settled debit batches collected (the audit's member-by-member proof).
    Column("paid_total", BigInteger, nullable=False),
    # The Merkle root of the charges (huzhu.domain.merkle), equal to the round's published one.
    Column("merkle_root", String(64), nullable=False),
    Column("chunk_size", Integer, nullable=False),
    # The table holding the charges; None when the round wrote no charges table at all.
    Column("stored_in", String(120)),
)

sqlite_only = MetaData()

member_charges_archive = Table(
    "member_charges_archive",
    sqlite_only,
    Column("membership_id", BigId, primary_key=True),
    Column("round_id", BigId, primary_key=True),
    Column("amount", Integer, nullable=False),
    Column("year_total", Integer),
)


def archive_partition(round_id: int) -> Any:
    """The PostgreSQL table an archived round's charges were moved to."""
    return table(
        f"member_charges_r{int(round_id)}",
        column("membership_id"),
        column("round_id"),
        column("amount"),
        column("year_total"),
        schema=ARCHIVE_SCHEMA,
    )
