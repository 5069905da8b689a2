"""Recording state changes in the audit log, and telling host apps through webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from huzhu.storage.uow import UnitOfWork


def record(
    uow: UnitOfWork,
    actor: int | None,
    action: str,
    subject: str,
    details: dict[str, Any],
    now: datetime,
) -> None:
    uow.audit_log.record(now, actor, action, subject, details)


def notify_person(
    uow: UnitOfWork, person_id: int, event: str, payload: dict[str, Any], now: datetime
) -> None:
    """Queue a webhook for the host app through which this person (or their guardian) signed in."""
    person = uow.people.get(person_id)
    for candidate in (person.id, person.guardian_id):
        if candidate is None:
            continue
        account = uow.accounts.by_person(candidate)
        if account is not None and account.host_app_id is not None:
            app = uow.accounts.host_app(account.host_app_id)
            if app.webhook_url:
                uow.webhooks.emit(
                    app.id, event, {**payload, "external_user_id": account.external_id}, now
                )
            return
