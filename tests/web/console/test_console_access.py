"""Every console page refuses a signed-out visitor (sent to sign in) and a member (403), and each
staff role gets exactly the pages its role allows."""

from __future__ import annotations

import pytest
from consolekit import World, browser

PAGES = [
    "/console",
    "/console/dashboard",
    "/console/dashboard/members.csv",
    "/console/dashboard/pipeline.csv",
    "/console/dashboard/forecast-xiang-hu-bao.csv",
    "/console/dashboard?forecast=xiang-hu-bao",
    "/console/claims",
    "/console/claims/{claim}",
    "/console/claims/{claim}/evidence/1",
    "/console/rounds",
    "/console/rounds/{round}",
    "/console/rounds/{round}/progress.json",
    "/console/rounds/reconciliation",
    "/console/plans",
    "/console/plans?edit=xiang-hu-bao",
    "/console/members",
    "/console/members?kind=name&q=%E6%9D%8E%E6%98%8E%E5%8D%8E",
    "/console/members/{person}",
    "/console/checks",
    "/console/checks?run=all",
    "/console/checks/audit-log",
]
FORMS = [
    "/console/claims/{claim}/assign",
    "/console/claims/{claim}/announce",
    "/console/claims/{claim}/reject",
    "/console/claims/{claim}/documents",
    "/console/claims/{claim}/objections/1",
    "/console/claims/{claim}/jury",
    "/console/claims/{claim}/juries/1/close",
    "/console/rounds/preview",
    "/console/rounds/run",
    "/console/rounds/{round}/collect",
    "/console/rounds/{round}/retry",
    "/console/rounds/{round}/payouts",
    "/console/rounds/reconciliation/1/resolve",
    "/console/plans/preview",
    "/console/plans/publish",
]


def _path(world: World, template: str) -> str:
    return template.format(claim=world.claim_a, person=world.a.person_id, round=world.round_id)


@pytest.mark.parametrize("page", PAGES)
def test_a_signed_out_visitor_is_sent_to_sign_in(world: World, page: str) -> None:
    r = browser(world.api, None).get(_path(world, page))
    assert r.status_code == 303
    assert r.headers["location"].startswith("/me/sign-in?next=/console")


@pytest.mark.parametrize("page", PAGES)
def test_a_member_is_refused(world: World, page: str) -> None:
    r = browser(world.api, world.b).get(_path(world, page))
    assert r.status_code == 403, r.text
    assert "role-required" in r.text
    assert "text/html" in r.headers["content-type"]
    assert "this needs the" not in r.text  # worded by its code, not the service's sentence


@pytest.mark.parametrize("form", FORMS)
def test_a_member_cannot_post_a_console_form(world: World, form: str) -> None:
    before = world.api.count("audit_log")
    r = browser(world.api, world.b).post(_path(world, form), {"plan_id": "x"})
    assert r.status_code == 403, r.text
    assert world.api.count("audit_log") == before


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        ("reviewer", ["/console", "/console/claims", "/console/dashboard"],
         ["/console/rounds", "/console/members", "/console/checks", "/console/plans",
          "/console/rounds/reconciliation"]),
        ("operator", ["/console", "/console/rounds", "/console/members", "/console/checks",
                      "/console/plans", "/console/rounds/reconciliation"], []),
        ("auditor", ["/console/checks/audit-log", "/console/members", "/console/rounds",
                     "/console/plans", "/console/rounds/reconciliation"], []),
    ],
)  # fmt: skip
def test_each_role_opens_its_pages(
    world: World, role: str, allowed: list[str], refused: list[str]
) -> None:
    user = getattr(world, role)
    b = browser(world.api, user)
    for page in allowed:
        assert b.get(page).status_code == 200, page
    for page in refused:
        assert b.get(page).status_code == 403, page
        assert "Your role may not open this page" in b.get(page).text, page
