"""The audit log of state changes, stored idempotent responses, and webhook events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, literal, select, update

from huzhu.storage.tables import member_charges, memberships
from huzhu.storage.tables_access import (
    accounts,
    audit_log,
    host_apps,
    idempotency_keys,
    webhook_deliveries,
    webhook_events,
)


class AuditLogRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def record(
        self, at: datetime, actor: int | None, action: str, subject: str, details: dict[str, Any]
    ) -> None:
        self.conn.execute(
            insert(audit_log).values(
                at=at, actor_account_id=actor, action=action, subject=subject, details=details
            )
        )

    def page(
        self,
        *,
        after_id: int,
        limit: int,
        action: str | None = None,
        actor: int | None = None,
        subject: str | None = None,
    ) -> list[Row[Any]]:
        q = select(audit_log).where(audit_log.c.id > after_id)
        if action:
            q = q.where(audit_log.c.action == action)
        if actor is not None:
            q = q.where(audit_log.c.actor_account_id == actor)
        if subject:
            q = q.where(audit_log.c.subject == subject)
        return list(self.conn.execute(q.order_by(audit_log.c.id).limit(limit)))


class IdempotencyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def find(self, account_id: int, key: str) -> Row[Any] | None:
        return self.conn.execute(
            select(idempotency_keys).where(
                idempotency_keys.c.account_id == account_id, idempotency_keys.c.key == key
            )
        ).first()

    def save(
        self,
        account_id: int,
        key: str,
        request_hash: str,
        status_code: int,
        response: Any,
        now: datetime,
    ) -> None:
        self.conn.execute(
            insert(idempotency_keys).values(
                account_id=account_id,
                key=key,
                request_hash=request_hash,
                status_code=status_code,
                response=response,
                created_at=now,
            )
        )

    def finish(self, account_id: int, key: str, status_code: int, response: Any) -> None:
        self.conn.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.account_id == account_id, idempotency_keys.c.key == key)
            .values(status_code=status_code, response=response)
        )


class WebhookRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def emit(self, host_app_id: int, type_: str, payload: dict[str, Any], now: datetime) -> None:
        self.conn.execute(
            insert(webhook_events).values(
                host_app_id=host_app_id,
                type=type_,
                payload=payload,
                created_at=now,
                attempts=0,
                next_attempt_at=now,
            )
        )

    def emit_round_charges(self, round_id: int, types: tuple[str, ...], now: datetime) -> None:
        """One event per charged member who signed in through a host app, set-based."""
        build = (
            func.json_build_object if self.conn.dialect.name == "postgresql" else func.json_object
        )
        payload = build(
            literal("round_id"), member_charges.c.round_id,
            literal("membership_id"), member_charges.c.membership_id,
            literal("amount_fen"), member_charges.c.amount,
            literal("currency"), literal("CNY"),
            literal("external_user_id"), accounts.c.external_id,
        )  # fmt: skip
        for type_ in types:
            self.conn.execute(
                insert(webhook_events).from_select(
                    ["host_app_id", "type", "payload", "created_at", "attempts", "next_attempt_at"],
                    select(
                        accounts.c.host_app_id,
                        literal(type_),
                        payload,
                        literal(now, webhook_events.c.created_at.type),
                        literal(0),
                        literal(now, webhook_events.c.created_at.type),
                    )
                    .select_from(member_charges)
                    .join(memberships, memberships.c.id == member_charges.c.membership_id)
                    .join(accounts, accounts.c.person_id == memberships.c.person_id)
                    .join(host_apps, host_apps.c.id == accounts.c.host_app_id)
                    .where(
                        member_charges.c.round_id == round_id, host_apps.c.webhook_url.is_not(None)
                    ),
                )
            )

    def has_subscribers(self) -> bool:
        """Whether any host app takes webhooks (so a round can skip a join over its charges)."""
        found = self.conn.scalar(
            select(host_apps.c.id).where(host_apps.c.webhook_url.is_not(None)).limit(1)
        )
        return found is not None

    def take_due(self, now: datetime, limit: int, *, lease_until: datetime) -> list[Row[Any]]:
        """Lease up to `limit` due events to the caller: rows another process holds are skipped
        (PostgreSQL), and a leased row is not due again before `lease_until`."""
        picked = (
            select(webhook_events.c.id)
            .where(webhook_events.c.next_attempt_at <= now)
            .order_by(webhook_events.c.next_attempt_at, webhook_events.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        rows = self.conn.execute(
            update(webhook_events)
            .where(webhook_events.c.id.in_(picked))
            .values(next_attempt_at=lease_until)
            .returning(*webhook_events.c)
        )
        return sorted(rows, key=lambda r: r.id)

    def backlog(self, now: datetime) -> int:
        """Events due and not yet delivered (for the metrics)."""
        return int(
            self.conn.scalar(select(func.count()).where(webhook_events.c.next_attempt_at <= now))
            or 0
        )

    def record_attempt(
        self,
        event_id: int,
        attempt: int,
        at: datetime,
        status_code: int | None,
        error: str | None,
        duration_ms: int,
        *,
        delivered: bool,
        next_attempt_at: datetime | None,
    ) -> None:
        self.conn.execute(
            insert(webhook_deliveries).values(
                event_id=event_id,
                attempt=attempt,
                at=at,
                status_code=status_code,
                error=error,
                duration_ms=duration_ms,
            )
        )
        self.conn.execute(
            update(webhook_events)
            .where(webhook_events.c.id == event_id)
            .values(
                attempts=attempt,
                next_attempt_at=next_attempt_at,
                delivered_at=at if delivered else None,
                failed_at=at if not delivered and next_attempt_at is None else None,
            )
        )

    def events(
        self, *, after_id: int, limit: int, host_app_id: int | None = None
    ) -> list[Row[Any]]:
        q = select(webhook_events).where(webhook_events.c.id > after_id)
        if host_app_id is not None:
            q = q.where(webhook_events.c.host_app_id == host_app_id)
        return list(self.conn.execute(q.order_by(webhook_events.c.id).limit(limit)))

    def deliveries(self, event_id: int) -> list[Row[Any]]:
        return list(
            self.conn.execute(
                select(webhook_deliveries)
                .where(webhook_deliveries.c.event_id == event_id)
                .order_by(webhook_deliveries.c.attempt)
            )
        )
