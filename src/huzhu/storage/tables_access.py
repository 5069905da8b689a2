"""Tables of the API side: accounts, sessions, host apps, idempotency, the audit log, webhooks."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from huzhu.storage.tables import BigId, UTCDateTime, metadata

host_apps = Table(
    "host_apps",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    # Shared HMAC secrets: the host app signs assertions with one, huzhu signs webhooks with the
    # other. They must be readable to verify and sign, so they are stored as given.
    Column("assertion_secret", String(128), nullable=False),
    Column("webhook_url", String(500)),
    Column("webhook_secret", String(128), nullable=False),
    # After a rotation, webhooks are signed with the previous secret too until the deadline.
    Column("webhook_secret_previous", String(128)),
    Column("webhook_secret_previous_until", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("username", String(64), unique=True),
    Column("password_hash", String(200)),
    Column("person_id", BigId, ForeignKey("people.id"), unique=True),
    Column("host_app_id", BigId, ForeignKey("host_apps.id")),
    Column("external_id", String(128)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("disabled_at", UTCDateTime()),
    UniqueConstraint("host_app_id", "external_id"),
)

account_roles = Table(
    "account_roles",
    metadata,
    Column("account_id", BigId, ForeignKey("accounts.id"), primary_key=True),
    Column("role", String(20), primary_key=True),
)

auth_sessions = Table(
    "auth_sessions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", BigId, ForeignKey("accounts.id"), nullable=False, index=True),
    # Only digests are stored: a stolen database does not yield usable tokens.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("csrf_hash", String(64)),
    Column("kind", String(10), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime()),
)

host_assertion_nonces = Table(
    "host_assertion_nonces",
    metadata,
    Column("host_app_id", BigId, ForeignKey("host_apps.id"), primary_key=True),
    Column("nonce", String(128), primary_key=True),
    Column("expires_at", UTCDateTime(), nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("account_id", BigId, ForeignKey("accounts.id"), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", SmallInteger, nullable=False),
    Column("response", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor_account_id", BigId, ForeignKey("accounts.id")),
    Column("action", String(60), nullable=False),
    Column("subject", String(100), nullable=False),
    Column("details", JSON, nullable=False),
    Index("ix_audit_log_action_id", "action", "id"),
    Index("ix_audit_log_actor_account_id_id", "actor_account_id", "id"),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("host_app_id", BigId, ForeignKey("host_apps.id"), nullable=False),
    Column("type", String(60), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime()),
    Column("delivered_at", UTCDateTime()),
    Column("failed_at", UTCDateTime()),
    Index("ix_webhook_events_next_attempt_at", "next_attempt_at"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_id", BigId, ForeignKey("webhook_events.id"), nullable=False, index=True),
    Column("attempt", Integer, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("status_code", SmallInteger),
    Column("error", Text),
    Column("duration_ms", Integer, nullable=False),
)


# Secrets generated per database (migration 0008): never a default anyone could read in the source.
instance_secrets = Table(
    "instance_secrets",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", String(128), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)


# E-mail and SMS to people, written in the transaction that decides to tell them and sent from here
# afterwards, so a crash between the two loses no message (it is sent on the next pass).
outbox_messages = Table(
    "outbox_messages",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("channel", String(10), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("params", JSON, nullable=False),  # worded when sent: huzhu.messages
    Column("locale", String(5), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime()),
    Column("sent_at", UTCDateTime()),
    Column("error", Text),
    Index("ix_outbox_messages_next_attempt_at", "next_attempt_at"),
)


# An identity given by an account whose ID number is already on file (issue 10 §4). The caller is
# answered exactly as for a new number; the claim waits here for the operator's real-name check,
# and nothing is linked (so nobody joins or is covered with it) until it is confirmed.
identity_checks = Table(
    "identity_checks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", BigId, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("kind", String(12), nullable=False),  # self | dependant
    Column("person_id", BigId, ForeignKey("people.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("state", String(12), nullable=False),  # pending | confirmed | refused
    Column("created_at", UTCDateTime(), nullable=False),
    Column("resolved_at", UTCDateTime()),
    Column("resolved_by", BigId, ForeignKey("accounts.id")),
    Index("ix_identity_checks_state_id", "state", "id"),
)
