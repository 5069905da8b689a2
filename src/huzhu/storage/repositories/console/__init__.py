"""Queries for what the operator console asks: queues, previews, dashboards.

- repository: The console's read-only questions: counts for the dashboards, a name lookup, the…
"""
