"""The members' in-app inbox: each message a kind and its parameters (worded by huzhu.messages)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, exists, insert, literal, null, select, update

from huzhu.domain.members import Lifecycle
from huzhu.storage.tables import memberships
from huzhu.storage.tables_claims import inbox_messages


@dataclass(frozen=True)
class Message:
    id: int
    person_id: int
    claim_id: int | None
    kind: str
    params: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


def _message(r: Row[Any]) -> Message:
    return Message(r.id, r.person_id, r.claim_id, r.kind, dict(r.params), r.created_at, r.read_at)


class InboxRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self,
        person_id: int,
        claim_id: int | None,
        kind: str,
        params: Mapping[str, Any],
        at: datetime,
    ) -> None:
        self.conn.execute(
            insert(inbox_messages).values(
                person_id=person_id,
                claim_id=claim_id,
                kind=kind,
                params=dict(params),
                created_at=at,
            )
        )

    def add_for_leavers(
        self, plan_id: str, reason: str, left_at: datetime, kind: str, params: Mapping[str, Any]
    ) -> int:
        """One message to each person whose membership of the plan left for `reason` at `left_at`,
        set-based; a person who already has this kind of message from that moment gets no second."""
        already = exists().where(
            inbox_messages.c.person_id == memberships.c.person_id,
            inbox_messages.c.kind == kind,
            inbox_messages.c.created_at == left_at,
        )
        stamp = inbox_messages.c.created_at.type
        rows = select(
            memberships.c.person_id,
            null(),
            literal(kind),
            literal(dict(params), inbox_messages.c.params.type),
            literal(left_at, stamp),
        ).where(
            and_(
                memberships.c.plan_id == plan_id,
                memberships.c.leave_reason == reason,
                memberships.c.left_at == left_at,
                ~already,
            )
        )
        cols = ["person_id", "claim_id", "kind", "params", "created_at"]
        result = self.conn.execute(insert(inbox_messages).from_select(cols, rows))
        return int(result.rowcount)

    def add_for_plan(self, plan_id: str, kind: str, params: Mapping[str, Any], at: datetime) -> int:
        """One message to each person with a live membership of the plan, in one statement (a
        closing plan may have 100 million members); a person told this kind at `at` is not told
        twice."""
        already = exists().where(
            inbox_messages.c.person_id == memberships.c.person_id,
            inbox_messages.c.kind == kind,
            inbox_messages.c.created_at == at,
        )
        rows = select(
            memberships.c.person_id,
            null(),
            literal(kind),
            literal(dict(params), inbox_messages.c.params.type),
            literal(at, inbox_messages.c.created_at.type),
        ).where(
            memberships.c.plan_id == plan_id,
            memberships.c.lifecycle != Lifecycle.LEFT.value,
            ~already,
        )
        cols = ["person_id", "claim_id", "kind", "params", "created_at"]
        return int(self.conn.execute(insert(inbox_messages).from_select(cols, rows)).rowcount)

    def page(
        self, person_ids: Sequence[int], *, after_id: int, limit: int, unread: bool = False
    ) -> list[Message]:
        if not person_ids:
            return []
        q = select(inbox_messages).where(
            inbox_messages.c.person_id.in_(person_ids), inbox_messages.c.id > after_id
        )
        if unread:
            q = q.where(inbox_messages.c.read_at.is_(None))
        rows = self.conn.execute(q.order_by(inbox_messages.c.id).limit(limit))
        return [_message(r) for r in rows]

    def mark_read(self, message_id: int, person_ids: Sequence[int], at: datetime) -> bool:
        """Mark one of these people's messages read; False when it is not theirs."""
        if not person_ids:
            return False
        found = self.conn.execute(
            select(inbox_messages.c.read_at).where(
                inbox_messages.c.id == message_id, inbox_messages.c.person_id.in_(person_ids)
            )
        ).first()
        if found is None:
            return False
        if found.read_at is None:
            self.conn.execute(
                update(inbox_messages).where(inbox_messages.c.id == message_id).values(read_at=at)
            )
        return True
