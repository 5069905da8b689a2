"""The kinds of messages to members (huzhu.messages): every kind is worded in Chinese and in
English from the catalogue, its parameters are checked before anything is stored, money comes
from fen and moments are shown in Beijing time; rows written before kinds stay readable."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from string import Formatter
from typing import Any

import pytest
from sqlalchemy import Engine, text

from huzhu.domain.errors import InvalidInput
from huzhu.messages import CODES, KINDS, LEGACY, check, render
from huzhu.storage.engine import _alembic_config
from huzhu.storage.uow import UnitOfWork

CJK = re.compile(r"[\u4e00-\u9fff]")
MOMENT = "2026-03-02T16:30:00+00:00"  # 00:30 the next day in Beijing
LATER = datetime(2026, 4, 1, tzinfo=UTC)


def _sample(name: str) -> Any:
    if name.endswith("_fen"):
        return 123_456
    if name.endswith("_at"):
        return MOMENT
    if name.endswith("_date"):
        return "2026-03-07"
    if name.endswith("_codes"):
        return ["in-waiting-period"]
    if name.endswith("_code"):
        return next(iter(CODES))
    return 7


def _params(kind: str) -> dict[str, Any]:
    k = KINDS[kind]
    names = {f for text_ in (k.title, k.body) for _, f, _, _ in Formatter().parse(text_) if f}
    return {name: _sample(name) for name in names}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_is_worded_in_both_languages(kind: str) -> None:
    params = _params(kind)
    check(kind, params)
    zh, en = render(kind, params, "zh"), render(kind, params, "en")
    for worded in (zh, en):
        assert "{" not in worded.title + worded.body and worded.title
    assert CJK.search(zh.title + zh.body), zh
    assert not CJK.search(en.title + en.body), en
    if any(name.endswith("_fen") for name in params):
        assert "1,234.56" in zh.title + zh.body and "1,234.56" in en.title + en.body
    if any(name.endswith("_at") for name in params):
        assert "2026-03-03 00:30" in en.body  # Beijing time, not UTC


def test_an_unknown_locale_is_chinese_and_codes_are_worded() -> None:
    params = {"claim_id": 3, "reason_codes": ["in-waiting-period", "no-such-code"],
              "appeal_until_at": MOMENT}  # fmt: skip
    assert render("claim.refused", params, "fr") == render("claim.refused", params, None)
    zh = render("claim.refused", params, "zh").body
    assert "在等待期内确诊；no-such-code" in zh
    assert (
        "diagnosed in the waiting period; no-such-code"
        in render("claim.refused", params, "en").body
    )


@pytest.mark.parametrize(
    ("kind", "params", "code"),
    [
        ("claim.shouted", {}, "unknown-message-kind"),
        ("claim.approved", {"claim_id": 1}, "message-params-missing"),
        ("claim.approved", {"claim_id": 1, "payout_fen": 12.5}, "message-money"),
        ("claim.approved", {"claim_id": 1, "payout_fen": "12.50"}, "message-money"),
    ],
)
def test_a_message_that_cannot_be_worded_is_refused_before_it_is_stored(
    kind: str, params: dict[str, Any], code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        check(kind, params)
    assert refused.value.code == code


def test_old_text_rows_stay_readable_after_the_migration(engine: Engine) -> None:
    """Down to the last migration before kinds, old rows written as text, up again."""
    from alembic import command

    config = _alembic_config(engine)
    command.downgrade(config, "0012")
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO people (id, id_type, id_number, name, birth_date, sex, labels, "
                "created_at) VALUES (1, 'resident-id', '110105199005170011', '吴小漫', "
                "'1990-05-17', 'F', '[]', :at)"
            ), {"at": MOMENT})  # fmt: skip
            conn.execute(text(
                "INSERT INTO inbox_messages (person_id, kind, title, body, created_at) "
                "VALUES (1, 'claim.approved', 'Claim 1 approved', '300,000.00 yuan', :at)"
            ), {"at": MOMENT})  # fmt: skip
            conn.execute(text(
                "INSERT INTO outbox_messages (channel, recipient, subject, body, created_at, "
                "attempts, next_attempt_at) VALUES ('email', 'wu@example.cn', 'Claim 1 approved',"
                " '300,000.00 yuan', :at, 0, :at)"
            ), {"at": MOMENT})  # fmt: skip
    finally:
        command.upgrade(config, "head")
    with UnitOfWork(engine) as uow:
        (old,) = uow.inbox.page([1], after_id=0, limit=10)
        (sent,) = uow.outbox.take_due(LATER, 10, lease_until=LATER)
    assert old.kind == LEGACY and old.params["was"] == "claim.approved"
    for locale in ("zh", "en"):
        worded = render(old.kind, old.params, locale)
        assert (worded.title, worded.body) == ("Claim 1 approved", "300,000.00 yuan")
    assert sent.kind == LEGACY and sent.locale == "zh"
    assert render(sent.kind, sent.params, "zh").title == "Claim 1 approved"
