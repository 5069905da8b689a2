"""Queries for messages out: member notices, the outbox, webhooks to host apps.

- inbox: The members' in-app inbox.
- outbox: The outbox of e-mail and SMS: written with the decision to send, leased and sent…
"""
