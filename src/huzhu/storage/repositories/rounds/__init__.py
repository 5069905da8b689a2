"""Queries for apportionment rounds: quote, run, charge.

- repository: Rounds and the per-member charges they post, written set-based in the database.
"""
