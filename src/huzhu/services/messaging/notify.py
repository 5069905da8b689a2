"""Telling people what happened: an in-app inbox row always, e-mail and SMS through a notifier.

E-mail and SMS are written to the outbox in the caller's transaction and leave after it commits
(`services.outbox`), so a refused request tells nobody and a crash loses nothing. The notifier is
pluggable (`set_notifier`). Built in: `SmtpNotifier` (e-mail through an SMTP server,
`HUZHU_SMTP_HOST`) with SMS to `SandboxSms`, `ConsoleNotifier`, `FileNotifier` (JSON lines) and
`LogNotifier` (the `huzhu.notify` logger). The default is SMTP when `HUZHU_SMTP_HOST` is set, else
a file when `HUZHU_NOTIFY_FILE` is set, the console when `HUZHU_NOTIFY=console`, else the logger.
"""

from __future__ import annotations

import json
import logging
import smtplib
import sys
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol, TextIO

from huzhu.messages import check, locale_or_default
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


class SmtpNotifier:
    """E-mail through an SMTP server (one connection per message: messages are few)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, message: Outgoing) -> None:
        s = self.settings
        mail = EmailMessage()
        mail["From"] = s.smtp_from
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail.set_content(message.body)
        with smtplib.SMTP(s.smtp_host or "", s.smtp_port, timeout=s.smtp_timeout_s) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password or "")
            smtp.send_message(mail)


class SandboxSms:
    """The SMS provider of a sandbox: keeps what it was asked to send. A real provider implements
    the same `send` (the `Notifier` protocol) for channel `sms`."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    def send(self, message: Outgoing) -> None:
        self.sent.append(message)
        logging.getLogger("huzhu.notify").info("sandbox sms #%d", len(self.sent))


class Channels:
    """One notifier per channel."""

    def __init__(self, email: Notifier, sms: Notifier) -> None:
        self.by_channel = {"email": email, "sms": sms}

    def send(self, message: Outgoing) -> None:
        self.by_channel[message.channel].send(message)


class MemoryNotifier:
    """Keeps what was sent (tests, demos)."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    def send(self, message: Outgoing) -> None:
        self.sent.append(message)


_notifier: Notifier | None = None


def default_notifier(settings: Settings | None = None) -> Notifier:
    settings = settings or current()
    if settings.smtp_host:
        return Channels(SmtpNotifier(settings), SandboxSms())
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
    params: Mapping[str, Any],
    now: datetime,
    *,
    claim_id: int | None = None,
) -> None:
    """An inbox message for the person (their guardian reads it too), and an e-mail and an SMS
    to whichever contact the person, or else their guardian, has on file, in that contact's
    language. Each is stored as `kind` and `params` (see `huzhu.messages`), worded when read."""
    check(kind, params)
    uow.inbox.add(person_id, claim_id, kind, params, now)
    person = uow.people.get(person_id)
    contact = person
    if not (person.email or person.phone) and person.guardian_id is not None:
        contact = uow.people.get(person.guardian_id)
    assert contact.id is not None
    locale = locale_or_default(uow.people.locale(contact.id))
    ids = [
        uow.outbox.add(channel, to, kind, params, locale, now)
        for channel, to in (("email", contact.email), ("sms", contact.phone))
        if to
    ]
    if ids:
        engine = uow.engine

        def send_now() -> None:
            from huzhu.services.messaging.outbox import deliver_due

            try:
                deliver_due(engine, now, ids=ids)
            except Exception:  # the outbox keeps them; the next pass sends them
                logging.getLogger("huzhu.notify").exception("sending after commit failed")

        uow.after_commit(send_now)
