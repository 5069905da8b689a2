"""The claimant is told at every step: an inbox row, and e-mail/SMS sent only after commit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from claimkit import Kit, build
from sqlalchemy import Engine, update

from helpers import at
from huzhu.services.messaging.notify import ConsoleNotifier, FileNotifier, Outgoing, tell
from huzhu.storage.tables import people
from huzhu.storage.uow import UnitOfWork


@pytest.fixture
def kit(engine: Engine) -> Kit:
    return build(engine)


def test_messages_leave_only_after_commit(kit: Kit) -> None:
    with kit.engine.begin() as conn:
        conn.execute(
            update(people)
            .where(people.c.id == kit.claimant_person)
            .values(email="wu@example.cn", phone="13900000000")
        )
    with UnitOfWork(kit.engine) as uow:
        tell(uow, kit.claimant_person, "claim.submitted", {"claim_id": 1}, at("2026-01-04"))
        # no commit: the transaction rolls back
    assert kit.notifier.sent == [] and kit.inbox(kit.claimant_person) == []
    kit.submit()
    sent = {(m.channel, m.to) for m in kit.notifier.sent}
    assert sent == {("email", "wu@example.cn"), ("sms", "13900000000")}
    assert kit.inbox(kit.claimant_person) == ["claim.submitted"]


def test_the_built_in_notifiers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message = Outgoing("sms", "139", "Claim 1 received", "ok", at("2026-01-04"))
    FileNotifier(tmp_path / "out.jsonl").send(message)
    FileNotifier(tmp_path / "out.jsonl").send(message)
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["to"] == "139"
    ConsoleNotifier().send(message)
    assert "[sms to 139] Claim 1 received: ok" in capsys.readouterr().err
