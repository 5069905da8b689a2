"""Sending the outbox: e-mail and SMS leave after the transaction that wrote them commits.

`services.notify.tell` writes each message (a kind and its parameters, worded here at send time
in the recipient's language) to `outbox_messages` in the caller's transaction and,
once it commits, tries to send it at once. Whatever did not leave then (the process died, the SMTP
server was down) is sent by `deliver_due`, which the server runs every few seconds: a crash loses
no message, and a message is marked sent only after the notifier accepted it (at least once).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine

from huzhu.messages import render
from huzhu.services.messaging.notify import Notifier, Outgoing, notifier
from huzhu.storage.uow import UnitOfWork

log = logging.getLogger("huzhu.outbox")
LEASE = timedelta(minutes=5)
RETRY = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=6))


def deliver_due(
    engine: Engine,
    now: datetime,
    *,
    via: Notifier | None = None,
    batch: int = 100,
    ids: list[int] | None = None,
) -> int:
    """Send due messages (only `ids`, when given); returns how many left."""
    with UnitOfWork(engine) as uow:
        rows = uow.outbox.take_due(now, batch, lease_until=now + LEASE, ids=ids)
        uow.commit()
    if not rows:
        return 0
    send = via or notifier()
    results: list[tuple[int, int, str | None]] = []
    for row in rows:
        worded = render(row.kind, row.params, row.locale)  # in the recipient's language
        message = Outgoing(row.channel, row.recipient, worded.title, worded.body, row.created_at)
        try:
            send.send(message)
            results.append((row.id, row.attempts + 1, None))
        except Exception as e:  # this message waits; the others still go
            log.warning("outbox message %d not sent: %s", row.id, type(e).__name__)
            results.append((row.id, row.attempts + 1, f"{type(e).__name__}: {e}"[:500]))
    with UnitOfWork(engine) as uow:
        for message_id, attempt, error in results:
            wait = RETRY[min(attempt, len(RETRY)) - 1]
            uow.outbox.record(message_id, attempt, now, error=error, next_attempt_at=now + wait)
        uow.commit()
    return sum(error is None for _, _, error in results)
