"""Queries for the public record: the hash-chained log, Merkle roots, verification, archives.

- archive: Archived rounds: their records, where their charges are, and reading them from there.
- archive_move: Moving an archived round's charges out of `member_charges` (see…
- public_record: The public record: the global hash-chained log and the stored parts of round…
- records: The audit log of state changes, stored idempotent responses, and webhook events.
- timestamps: RFC 3161 time-stamp tokens over chain heads (append-only: a token is never changed).
"""
