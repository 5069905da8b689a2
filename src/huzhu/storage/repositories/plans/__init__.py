"""Queries for plans: publishing versions, activation, live figures and forecasts.

- forecasts: What a forecast reads of a plan: its live members in cells and the flows between…
- lifecycle: A plan's closing and its operator-paid periods (storage.tables_lifecycle).
- refunds: A closing plan's refunds, set-based (services.plans.refunds).
- repository: Plan versions, stored as the exact TOML text that was loaded, with its SHA-256.
"""
