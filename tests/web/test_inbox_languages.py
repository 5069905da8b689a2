"""Messages to members are stored once, as a kind and parameters, and worded in the reader's
language when shown: the portal inbox and the API inbox read the same row in Chinese and English
(issue 15), and nothing stored is an English sentence."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import inspect, update
from webkit import Web, World, text_of

from api.apikit import PASSWORD, PASSWORD_HASH
from huzhu.domain.money import format_yuan
from huzhu.storage.tables_access import accounts

# Parameters that carry people's own words (an objection, a reviewer's note): not ours to word.
THEIR_WORDS = {"reason", "note", "what"}
SENTENCE = re.compile(r"[A-Za-z]+ [a-z]+ [a-z]+")


def _params(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else dict(json.loads(value))


def test_a_message_stored_once_reads_in_chinese_and_in_english(web: Web, world: World) -> None:
    (payout,) = world.api.rows("SELECT payout FROM claims WHERE id = :c", c=world.claim_c)[0]
    paid = format_yuan(payout)
    zh = text_of(web.signed_in(world.c).get("/me/inbox?lang=zh"))
    en = text_of(web.signed_in(world.c).get("/me/inbox?lang=en"))
    assert f"互助申请 {world.claim_c} 已核准" in zh and f"将支付互助金 {paid} 元" in zh
    assert f"Claim {world.claim_c} approved" in en and f"{paid} yuan will be paid" in en
    assert f"Claim {world.claim_c} approved" not in zh

    def items(lang: str) -> list[dict[str, Any]]:
        answer = world.api.get(f"/v1/me/inbox?lang={lang}", world.c)
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()["items"]
        return found

    zh_items, en_items = items("zh"), items("en")
    assert [m["id"] for m in zh_items] == [m["id"] for m in en_items]  # the same rows
    approved = next(m for m in en_items if m["kind"] == "claim.approved")
    assert approved["params"] == {"claim_id": world.claim_c, "payout_fen": payout}
    assert approved["title"] == f"Claim {world.claim_c} approved"
    assert next(m for m in zh_items if m["kind"] == "claim.approved")["locale"] == "zh"
    assert (
        items("zh")[0]["title"]
        == world.api.get("/v1/me/inbox", world.c).json()["items"][0]["title"]
    )  # Chinese unless the member chose otherwise


def test_signing_in_in_english_words_the_members_messages_in_english(
    web: Web, world: World
) -> None:
    with world.api.engine.begin() as conn:  # C signs in on the portal with a password
        conn.execute(
            update(accounts).where(accounts.c.id == world.c.account_id),
            {"password_hash": PASSWORD_HASH},
        )
    browser = web.browser("en")
    r = web.post(browser, "/me/sign-in", {"username": world.c.username, "password": PASSWORD})
    assert r.status_code == 303, text_of(r)
    (locale,) = world.api.rows("SELECT locale FROM people WHERE id = :p", p=world.c.person_id)[0]
    assert locale == "en"
    first = world.api.get("/v1/me/inbox", world.c).json()["items"][0]
    assert first["locale"] == "en" and first["title"].startswith("Claim ")


def test_a_member_of_a_host_app_chooses_english_through_the_api(world: World) -> None:
    api = world.api
    assert api.put("/v1/me/inbox/language", world.c, json={"locale": "fr"}).status_code == 422
    assert api.put("/v1/me/inbox/language", world.c, json={"locale": "en"}).status_code == 204
    first = api.get("/v1/me/inbox", world.c).json()["items"][0]
    assert first["locale"] == "en" and first["title"].startswith("Claim ")
    assert api.get("/v1/me/inbox?lang=zh", world.c).json()["items"][0]["title"].startswith("已收到")


def test_no_message_stores_an_english_sentence(world: World) -> None:
    seen = inspect(world.api.engine)
    for table in ("inbox_messages", "outbox_messages"):
        names = {c["name"] for c in seen.get_columns(table)}
        assert names >= {"kind", "params"} and not names & {"title", "subject", "body"}
    inbox = world.api.rows("SELECT kind, params FROM inbox_messages")
    outbox = world.api.rows("SELECT kind, params, locale FROM outbox_messages")
    assert len(inbox) > 5
    for kind, params, *_ in [*inbox, *outbox]:
        assert kind != "legacy-text"
        for name, value in _params(params).items():
            if name not in THEIR_WORDS:
                assert not SENTENCE.search(str(value)), (kind, name, value)
