"""Queries for members: joining (one, quick, many), deposits and prepaid balances, statements,
lookup.

- cover: Suspending one member's cover: a prepaid member has none until the deposit arrives.
- family: Prepaid accounts: a payer's own membership and their dependants' in one plan share a…
- identity_checks: Identity checks: ID numbers given while already on file, waiting for the…
- lookup: Finding members for operators: by identity document, by name, or by membership id.
- people: People: identities, guardians and credit scores.
- quick_join: PostgreSQL's one-statement join, for a batch of new people each joining for…
- repository: Memberships: joining, leaving, the headcount at a lock, age-outs.
"""
