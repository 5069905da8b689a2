"""Queries for accounts: sign-up, sign-in, roles, and who may see which resource.

- repository: Accounts, their roles and sessions, and the host apps that sign users in.
- secrets: Secrets generated for this database (the sandbox gateway's HMAC key...), never a…
"""
