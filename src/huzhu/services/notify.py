"""Telling people what happened: an in-app inbox row always, e-mail and SMS through a notifier.

The notifier is pluggable (`set_notifier`). Built in: `ConsoleNotifier` (writes to a stream),
`FileNotifier` (appends JSON lines to a file) and `LogNotifier` (the `huzhu.notify` logger). The
default is a file when `$HUZHU_NOTIFY_FILE` is set, the console when `$HUZHU_NOTIFY=console`, else
the logger. Messages leave only after the transaction commits, so a refused request tells nobody.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, TextIO

from huzhu.settings import Settings, current
from huzhu.storage.uow import UnitOfWork


@dataclass(frozen=True)
class Outgoing:
    channel: str  # "email" or "sms"
    to: str
    subject: str
    body: str
    at: datetime


class Notifier(Protocol):
    def send(self, message: Outgoing) -> None: ...


def _line(message: Outgoing) -> str:
    data = asdict(message) | {"at": message.at.isoformat()}
    return json.dumps(data, ensure_ascii=False)


class ConsoleNotifier:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: Outgoing) -> None:
        stream = self.stream or sys.stderr
        stream.write(f"[{message.channel} to {message.to}] {message.subject}: {message.body}\n")
        stream.flush()


class FileNotifier:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def send(self, message: Outgoing) -> None:
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(_line(message) + "\n")


class LogNotifier:
    def send(self, message: Outgoing) -> None:
        logging.getLogger("huzhu.notify").info("%s", _line(message))


class MemoryNotifier:
    """Keeps what was sent (tests, demos)."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    def send(self, message: Outgoing) -> None:
        self.sent.append(message)


_notifier: Notifier | None = None


def default_notifier(settings: Settings | None = None) -> Notifier:
    settings = settings or current()
    if settings.notify_file is not None:
        return FileNotifier(settings.notify_file)
    if settings.notify == "console":
        return ConsoleNotifier()
    return LogNotifier()


def set_notifier(notifier: Notifier | None) -> None:
    """Install a notifier for e-mail and SMS (None: back to the default)."""
    global _notifier
    _notifier = notifier


def notifier() -> Notifier:
    global _notifier
    if _notifier is None:
        _notifier = default_notifier()
    return _notifier


def tell(
    uow: UnitOfWork,
    person_id: int,
    kind: str,
    title: str,
    body: str,
    now: datetime,
    *,
    claim_id: int | None = None,
) -> None:
    """An inbox message for the person (their guardian reads it too), and an e-mail and an SMS
    to whichever contact the person, or else their guardian, has on file."""
    uow.inbox.add(person_id, claim_id, kind, title, body, now)
    person = uow.people.get(person_id)
    contact = person
    if not (person.email or person.phone) and person.guardian_id is not None:
        contact = uow.people.get(person.guardian_id)
    outgoing = [
        Outgoing(channel, to, title, body, now)
        for channel, to in (("email", contact.email), ("sms", contact.phone))
        if to
    ]
    for message in outgoing:
        uow.after_commit(lambda m=message: notifier().send(m))  # type: ignore[misc]
