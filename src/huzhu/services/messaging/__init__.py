"""Use cases for messages out: member notices, the outbox, webhooks to host apps.

- notify: Telling people what happened: an in-app inbox row always, e-mail and SMS through a…
- outbox: Sending the outbox: e-mail and SMS leave after the transaction that wrote them commits.
- webhooks: Delivering webhook events to host apps, in the Standard Webhooks format.
"""
