"""Use cases for accounts: sign-up, sign-in, roles, and who may see which resource.

- ownership: Ownership checks shared by the API routes and the web pages.
- service: Accounts: registration, sign-in, sessions, host-app assertions and roles.
"""
