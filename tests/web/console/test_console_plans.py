"""Plans in the console: versions listed, a new version checked and previewed (the next round's
share under the old and the new rules, nothing kept), then published through the service the CLI
uses, with the file's errors named by field."""

from __future__ import annotations

import re

from consolekit import Browser, World, browser

from huzhu.plans.loader import template_text

PLAN = "xiang-hu-bao"


def _edited(fee_bp: int = 600, version: int = 2, changes: str = "管理费降至 6%") -> str:
    text = template_text(PLAN)
    text = re.sub(r"(?m)^version = 1$", f"version = {version}", text, count=1)
    text = text.replace("effective_from = 2018-10-16", "effective_from = 2026-03-10", 1)
    text = re.sub(r"management_fee_bp = \d+", f"management_fee_bp = {fee_bp}", text, count=1)
    return f'changes = "{changes}"\n' + text if changes else text


def _approved_claim(world: World) -> None:
    r = world.api.post(f"/v1/claims/{world.claim_a}/approve", world.reviewer)
    assert r.status_code == 200, r.text


def test_the_preview_quotes_the_next_round_under_both_rules_and_keeps_nothing(
    world: World, operator: Browser
) -> None:
    api = world.api
    _approved_claim(world)
    before = {t: api.count(t) for t in ("plan_versions", "rounds", "audit_log", "public_log")}
    r = operator.post("/console/plans/preview", {"document": _edited()})
    assert r.status_code == 200, r.text
    assert "2026-03-21" in r.text  # the first round the new version governs
    now = re.search(r'<td id="share-now">([^<]+)</td>', r.text)
    new = re.search(r'<td id="share-new">([^<]+)</td>', r.text)
    assert now and new and now.group(1) != new.group(1)  # a lower fee, a lower share
    assert 'id="share-change">' in r.text and "-" in r.text.split('id="share-change">')[1][:80]
    assert {t: api.count(t) for t in before} == before  # the preview left nothing behind
    assert api.rows("select state from claims where id = :i", i=world.claim_a) != [("shared",)]


def test_publishing_adds_the_version_and_audits_who(world: World, operator: Browser) -> None:
    api = world.api
    r = operator.post("/console/plans/publish", {"document": _edited()})
    assert r.status_code == 303, r.text
    assert (
        api.rows(
            "select version, effective_from from plan_versions where plan_id = :p order by version",
            p=PLAN,
        )[-1][0]
        == 2
    )
    assert api.count(
        "audit_log", "action = 'plan.published' and actor_account_id = :a",
        a=world.operator.account_id,
    ) == 1  # fmt: skip
    page = operator.get("/console/plans")
    assert "管理费降至 6%" in page.text


def test_a_wrong_file_is_refused_naming_the_field_and_nothing_is_published(
    world: World, operator: Browser
) -> None:
    api = world.api
    before = api.count("plan_versions")
    bad = _edited().replace("management_fee_bp = 600", "management_fee_bp = -5")
    r = operator.post("/console/plans/preview", {"document": bad})
    assert r.status_code == 400 and 'role="alert"' in r.text
    assert '<code class="field-name">management_fee_bp</code>' in r.text
    gap = operator.post("/console/plans/publish", {"document": _edited(version=3)})
    assert gap.status_code == 400 and '<code class="field-name">version</code>' in gap.text
    silent = operator.post("/console/plans/publish", {"document": _edited(changes="")})
    assert silent.status_code == 400 and '<code class="field-name">changes</code>' in silent.text
    rise = operator.post("/console/plans/publish", {"document": _edited(fee_bp=1000)})
    assert rise.status_code == 400 and "management_fee_bp" in rise.text
    assert api.count("plan_versions") == before
    assert api.count("audit_log", "action = 'plan.published'") == 0


def test_auditors_read_the_plans_but_do_not_publish(world: World, auditor: Browser) -> None:
    page = auditor.get("/console/plans")
    assert (
        page.status_code == 200 and PLAN in page.text and "Publish a new version" not in page.text
    )
    assert auditor.post("/console/plans/publish", {"document": _edited()}).status_code == 403
    assert browser(world.api, world.reviewer).get("/console/plans").status_code == 403
    assert world.api.count("plan_versions", "version = 2") == 0
