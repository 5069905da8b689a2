"""Database refusals that mean "send it again": nothing was written, and a retry can succeed."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

# PostgreSQL aborts one of two transactions that wait on each other (deadlock_detected) or that
# could not be serialised (serialization_failure): nothing was written, and sending the request
# again succeeds.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def retryable(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES
