"""The outbox of e-mail and SMS: written with the decision to send (a message kind, its parameters
and the recipient's language), leased and sent afterwards."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from huzhu.storage.tables_access import outbox_messages


class OutboxRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self, channel: str, recipient: str, kind: str, params: Mapping[str, Any], locale: str,
        now: datetime,
    ) -> int:  # fmt: skip
        result = self.conn.execute(
            insert(outbox_messages).values(
                channel=channel, recipient=recipient, kind=kind, params=dict(params),
                locale=locale, created_at=now, attempts=0, next_attempt_at=now,
            )
        )  # fmt: skip
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def take_due(
        self, now: datetime, limit: int, *, lease_until: datetime, ids: list[int] | None = None
    ) -> list[Row[Any]]:
        """Lease due messages (skipping rows another process holds on PostgreSQL)."""
        picked = select(outbox_messages.c.id).where(outbox_messages.c.next_attempt_at <= now)
        if ids is not None:
            picked = picked.where(outbox_messages.c.id.in_(ids))
        picked = (
            picked.order_by(outbox_messages.c.id).limit(limit).with_for_update(skip_locked=True)
        )
        rows = self.conn.execute(
            update(outbox_messages)
            .where(outbox_messages.c.id.in_(picked.scalar_subquery()))
            .values(next_attempt_at=lease_until)
            .returning(*outbox_messages.c)
        )
        return sorted(rows, key=lambda r: r.id)

    def record(
        self, message_id: int, attempt: int, at: datetime, *, error: str | None,
        next_attempt_at: datetime | None,
    ) -> None:  # fmt: skip
        self.conn.execute(
            update(outbox_messages)
            .where(outbox_messages.c.id == message_id)
            .values(
                attempts=attempt,
                error=error,
                sent_at=at if error is None else None,
                next_attempt_at=None if error is None else next_attempt_at,
            )
        )
