"""The member portal: joining, my plans, the statement, leaving, dependants, inbox."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from webkit import Api, Web, World, text_of

from api.apikit import AFTER_LOCK, PLAN, healthy
from helpers import id_number
from huzhu.domain.merkle import verify_proof
from huzhu.services.record import merkle_proofs
from huzhu.storage.uow import UnitOfWork

PASSWORD = "a long enough password"


def _health(api: Api, plan: str, **override: str) -> dict[str, str]:
    answers = healthy(api.engine, plan)
    form = {f"q-{k}": ("yes" if v else "no") for k, v in answers.items()}
    form.update(override)
    return form


def _signed_up(web: Web, name: str, lang: str | None = None) -> object:
    browser = web.browser(lang)
    r = web.post(browser, "/me/sign-up", {"username": name, "password": PASSWORD})
    assert r.status_code == 303, r.text
    return browser


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_join_with_identity_then_see_the_waiting_period(web: Web, api: Api, lang: str) -> None:
    browser = _signed_up(web, "xiaohong", lang)
    form = web.browser(lang)  # noqa: F841 - the visitor sees the same form text
    page = browser.get(f"/me/join/{PLAN}")  # type: ignore[attr-defined]
    assert page.status_code == 200
    text = text_of(page)
    assert ("目前或过去是否患有" if lang == "zh" else "Do you have, or have you had") in text
    data = {"name": "刘小红", "id_number": id_number(901, date(1992, 3, 4)), **_health(api, PLAN)}
    r = web.post(browser, f"/me/join/{PLAN}", data)  # type: ignore[arg-type]
    assert r.status_code == 303, text_of(r)
    assert re.fullmatch(r"/me/plans/\d+\?joined=1", r.headers["location"])
    plan_page = text_of(browser.get(r.headers["location"]))  # type: ignore[attr-defined]
    assert ("等待期剩余天数" if lang == "zh" else "Days of waiting left") in plan_page
    assert " 90 " in plan_page  # days of waiting left on the day of joining
    assert (
        "下一轮公示日期为 2026-03-07" if lang == "zh" else "announced on 2026-03-07"
    ) in plan_page
    assert api.count("memberships") == 1
    assert api.count("audit_log", "action = 'membership.joined'") == 1
    mine = text_of(browser.get("/me"))  # type: ignore[attr-defined]
    assert "刘小红" in mine


def test_a_refusal_says_which_rule_failed_and_writes_nothing(web: Web, api: Api) -> None:
    browser = _signed_up(web, "laowang")
    question = next(iter(healthy(api.engine, PLAN)))
    data = {
        "name": "王老五",
        "id_number": id_number(902, date(1990, 1, 1)),
        **_health(api, PLAN, **{f"q-{question}": "yes"}),
    }
    r = web.post(browser, f"/me/join/{PLAN}", data)  # type: ignore[arg-type]
    assert r.status_code == 409
    assert "根据您对健康问题的回答，本计划无法接受您加入" in text_of(r)
    assert f'id="e-{question}"' in r.text  # beside the question it is about
    assert api.count("memberships") == 0 and api.count("people") == 0

    old = {"name": "王老五", "id_number": id_number(903, date(1950, 1, 1)), **_health(api, PLAN)}
    r = web.post(web.signed_in(api.account("old")), f"/me/join/{PLAN}", old)
    assert r.status_code == 409
    assert "您的年龄不在本计划接受的范围内" in text_of(r)


def test_dependants_are_added_and_joined_by_the_guardian(web: Web, api: Api) -> None:
    guardian = api.member("mama", plan=None)
    browser = web.signed_in(guardian)
    child = {"name": "张小宝", "id_number": id_number(904, date(2016, 6, 1))}
    r = web.post(browser, "/me/dependants", child)
    assert r.status_code == 303
    assert "张小宝" in text_of(browser.get("/me/dependants"))
    dependant_id = api.rows("SELECT id FROM people WHERE name = '张小宝'")[0].id
    r = web.post(browser, f"/me/join/{PLAN}", {"who": str(dependant_id), **_health(api, PLAN)})
    assert r.status_code == 303, text_of(r)
    assert "张小宝" in text_of(browser.get("/me"))


def test_statement_charges_proof_and_leaving(web: Web, world: World) -> None:
    api = world.api
    browser = web.signed_in(world.a)
    page = browser.get(f"/me/plans/{world.m_a}/statement")
    assert page.status_code == 200
    text = text_of(page)
    assert "累计分摊" in text and "帮助人数" in text
    assert "charges-chart-data" in page.text
    early = browser.get(f"/me/plans/{world.m_a}/rounds/{world.round_id}/proof")
    assert early.status_code == 404 and "本轮的分摊证明尚未发布" in text_of(early)
    with UnitOfWork(api.engine) as uow:
        published = merkle_proofs.publish_round_proofs(uow, world.round_id, AFTER_LOCK)
        uow.commit()
    proof = browser.get(f"/me/plans/{world.m_a}/rounds/{world.round_id}/proof")
    assert proof.status_code == 200
    assert "attachment" in proof.headers["content-disposition"]
    body = json.loads(proof.text)
    assert body["leaf"]["membership_id"] == world.m_a and body["root"] == published.root
    assert verify_proof(body)  # what `huzhu verify --proof` checks offline
    assert published.root in text_of(web.browser().get(f"/rounds/{world.round_id}"))
    confirm = browser.get(f"/me/plans/{world.m_a}/leave")
    assert "是的，退出计划" in text_of(confirm)
    r = web.post(browser, f"/me/plans/{world.m_a}/leave")
    assert r.status_code == 303
    assert api.rows("SELECT left_at FROM memberships WHERE id = :m", m=world.m_a)[0].left_at
    assert "退出时间" in text_of(browser.get(f"/me/plans/{world.m_a}"))


def test_a_member_cannot_reach_another_members_pages(web: Web, world: World) -> None:
    """Every page of B's answers A exactly like a page that does not exist."""
    browser = web.signed_in(world.a)
    for path in (
        f"/me/plans/{world.m_b}",
        f"/me/plans/{world.m_b}/statement",
        f"/me/plans/{world.m_b}/statement?before=1",
        f"/me/plans/{world.m_b}/leave",
        f"/me/plans/{world.m_b}/rounds/{world.round_id}/proof",
        f"/me/claims/{world.claim_b}",
    ):
        r = browser.get(path)
        assert r.status_code == 404, path
        assert "王建国" not in r.text and world.b.id_number not in r.text  # type: ignore[operator]
    for path in (f"/me/plans/{world.m_b}/leave", f"/me/claims/{world.claim_b}/appeal"):
        assert web.post(browser, path, {"statement": "x"}).status_code == 404, path
    assert (
        world.api.rows("SELECT left_at FROM memberships WHERE id = :m", m=world.m_b)[0][0] is None
    )
    # ...while A's own dependant is A's to see.
    assert browser.get(f"/me/plans/{world.d_membership}").status_code == 200


def test_inbox_lists_the_members_messages(web: Web, world: World) -> None:
    page = web.signed_in(world.c).get("/me/inbox")
    assert page.status_code == 200
    assert world.api.count("inbox_messages", "person_id = :p", p=world.c.person_id) > 0
    assert "card" in page.text


def test_top_up_a_prepaid_plan_once_per_form(web: Web, api: Api) -> None:
    """The form's hidden key makes a resent top-up (a double click, a reload) count once."""
    user = api.member("qing", plan="qingsong-huzhu")
    membership = user.memberships["qingsong-huzhu"]
    browser = web.signed_in(user)
    page = browser.get(f"/me/plans/{membership}")
    key = re.search(r'name="key" value="([^"]+)"', page.text)
    assert key is not None and "充值" in text_of(page)
    before = api.get(f"/v1/memberships/{membership}", user).json()["balance"]["fen"]
    form = {"amount": "12.50", "key": key.group(1)}
    for _ in range(2):
        r = web.post(browser, f"/me/plans/{membership}/top-up", form)
        assert r.status_code == 303, text_of(r)
    after = api.get(f"/v1/memberships/{membership}", user).json()["balance"]["fen"]
    assert after - before == 1250
    bad = web.post(browser, f"/me/plans/{membership}/top-up", {"amount": "1.234", "key": "k2"})
    assert bad.status_code == 400 and 'id="e-amount"' in bad.text
