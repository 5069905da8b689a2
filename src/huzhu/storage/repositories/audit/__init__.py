"""Queries for the audit: the books, decisions and funds checked against the rules.

- decisions: Read-only queries with which the audit checks that each decision was taken once: one…
- repository: Read-only queries that the audit uses to prove the ledger's invariants.
"""
