"""E-mail through a real SMTP client from an outbox (issue 15): the tests start an SMTP server
(aiosmtpd); a message written with the decision survives a crash before it is sent; SMS goes to
the sandbox behind the same interface."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, text

from helpers import at, id_number
from huzhu.domain.identity import Sex
from huzhu.domain.members import Person
from huzhu.services.messaging import outbox
from huzhu.services.messaging.notify import Channels, SandboxSms, SmtpNotifier, set_notifier, tell
from huzhu.settings import Settings
from huzhu.storage.uow import UnitOfWork

NOW = at("2026-03-02")


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)
    refuse: bool = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "451 try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, Settings]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_port())
    controller.start()
    try:
        yield (
            box,
            Settings(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_from="ops@huzhu.test"),
        )
    finally:
        controller.stop()


def person(engine: Engine, n: int, *, email: str | None, phone: str | None) -> int:
    birth = date(1990, 5, 17)
    with UnitOfWork(engine) as uow:
        pid = uow.people.add(
            Person(None, "resident-id", id_number(n, birth), "吴小漫", birth, Sex.FEMALE,
                   email=email, phone=phone),
            NOW,
        )  # fmt: skip
        uow.commit()
    return pid


def test_email_goes_through_smtp_and_sms_to_the_sandbox(
    engine: Engine, mailbox: tuple[Mailbox, Settings]
) -> None:
    box, settings = mailbox
    sms = SandboxSms()
    set_notifier(Channels(SmtpNotifier(settings), sms))
    try:
        pid = person(engine, 1, email="xiaoman@example.com", phone="13800000000")
        with UnitOfWork(engine) as uow:
            tell(uow, pid, "claim.approved", {"claim_id": 7, "payout_fen": 30_000_000}, NOW)
            assert box.messages == []  # nothing leaves before the commit
            uow.commit()
    finally:
        set_notifier(None)
    (mail,) = box.messages
    assert mail["To"] == "xiaoman@example.com" and mail["From"] == "ops@huzhu.test"
    assert mail["Subject"] == "互助申请 7 已核准"  # Chinese: she never chose another language
    assert "将支付互助金 300,000.00 元" in mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert [(m.channel, m.to) for m in sms.sent] == [("sms", "13800000000")]
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT channel, sent_at, attempts FROM outbox_messages")).all()
    assert sorted((r.channel, r.sent_at is not None, r.attempts) for r in rows) == [
        ("email", True, 1), ("sms", True, 1),
    ]  # fmt: skip


def test_a_crash_before_sending_loses_no_message(
    engine: Engine, mailbox: tuple[Mailbox, Settings]
) -> None:
    box, settings = mailbox
    pid = person(engine, 2, email="xiaoman@example.com", phone=None)
    with UnitOfWork(engine) as uow:
        uow.people.set_locale(pid, "en")
        tell(uow, pid, "claim.approved", {"claim_id": 8, "payout_fen": 100}, NOW)
        uow._after_commit = []  # the process dies right after its commit: nothing was sent
        uow.commit()
    assert box.messages == []
    # the SMTP server is down at the next pass: the message waits for a retry
    box.refuse = True
    via = SmtpNotifier(settings)
    assert outbox.deliver_due(engine, NOW, via=via) == 0
    assert outbox.deliver_due(engine, NOW + timedelta(seconds=30), via=via) == 0  # not yet due
    box.refuse = False
    assert outbox.deliver_due(engine, NOW + outbox.RETRY[0], via=via) == 1
    assert [m["Subject"] for m in box.messages] == ["Claim 8 approved"]
    assert outbox.deliver_due(engine, NOW + timedelta(days=1), via=via) == 0  # sent once


def test_a_refused_request_tells_nobody(engine: Engine, mailbox: tuple[Mailbox, Settings]) -> None:
    box, settings = mailbox
    pid = person(engine, 3, email="xiaoman@example.com", phone=None)
    with UnitOfWork(engine) as uow:
        tell(uow, pid, "claim.approved", {"claim_id": 9, "payout_fen": 100}, NOW)
        # no commit: rolled back
    assert outbox.deliver_due(engine, NOW + timedelta(days=1), via=SmtpNotifier(settings)) == 0
    assert box.messages == []


def test_the_same_message_is_mailed_in_each_members_language(
    engine: Engine, mailbox: tuple[Mailbox, Settings]
) -> None:
    """Stored once as a kind and parameters, worded when the outbox sends it (issue 15)."""
    box, settings = mailbox
    set_notifier(Channels(SmtpNotifier(settings), SandboxSms()))
    try:
        zh = person(engine, 4, email="zh@example.com", phone=None)
        en = person(engine, 5, email="en@example.com", phone=None)
        with UnitOfWork(engine) as uow:
            uow.people.set_locale(en, "en")
            for pid in (zh, en):
                params = {"plan_id": "xianghubao", "amount_fen": 1_234_567,
                          "round_date": "2026-03-07", "collect_date": "2026-03-10"}  # fmt: skip
                tell(uow, pid, "charge-due", params, NOW)
            uow.commit()
    finally:
        set_notifier(None)
    mails = {m["To"]: m for m in box.messages}

    def body(to: str) -> str:
        return str(mails[to].get_payload(decode=True).decode())  # type: ignore[union-attr]

    assert mails["zh@example.com"]["Subject"] == "xianghubao：12,345.67 元"
    assert "将于 2026-03-10 扣款" in body("zh@example.com")
    assert mails["en@example.com"]["Subject"] == "xianghubao: 12,345.67 yuan"
    assert "will be debited on 2026-03-10" in body("en@example.com")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT kind, locale FROM outbox_messages ORDER BY id")).all()
    assert [tuple(r) for r in stored] == [("charge-due", "zh"), ("charge-due", "en")]
