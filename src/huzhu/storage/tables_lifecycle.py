"""Tables of a plan's lifecycle (migration 0016): its closing, and the rounds the operator pays.

Both are written once and never updated (a correction is a new decision, refused today): the
public log carries the same facts, so what the tables say can be checked against it.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, String, Table, Text

from huzhu.storage.tables import BigId, UTCDateTime, metadata

# One row per closed plan: the primary key is what makes a second close fail even if two
# operators' requests pass every check at once.
plan_closures = Table(
    "plan_closures",
    metadata,
    Column("plan_id", String(64), ForeignKey("plans.id"), primary_key=True),
    Column("notice_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("refund_past_shares", Boolean, nullable=False),
    Column("closed_at", UTCDateTime(), nullable=False),
)

# Rounds whose announcement date falls in [first_date, last_date] are paid by the operator:
# members are charged 0 and the round's whole need is backstop. last_date None: open-ended (a
# closing plan's remaining rounds).
operator_paid_periods = Table(
    "operator_paid_periods",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("plan_id", String(64), ForeignKey("plans.id"), nullable=False, index=True),
    Column("first_date", Date, nullable=False),
    Column("last_date", Date),
    Column("reason", String(20), nullable=False),  # promotion | shutdown
    Column("note", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
