"""A round's money in the console: debits sent beside the request with a polled progress, failed
debits retried, payouts run, and reconciliation issues resolved with a note (audited, once)."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

from consolekit import NOW, Browser, World, browser

from huzhu.services.money.callbacks import pump_sandbox
from huzhu.services.money.clearing import check_clearing
from huzhu.services.money.reconcile_issues import repo
from huzhu.storage.repositories.money.clearing import ClearingRepository
from huzhu.storage.uow import UnitOfWork


def _finished(operator: Browser, round_id: int) -> dict[str, Any]:
    for _ in range(200):
        body: dict[str, Any] = operator.get(f"/console/rounds/{round_id}/progress.json").json()
        if body["job"] and body["job"]["finished"]:
            return body
        time.sleep(0.05)
    raise AssertionError("the collection job did not finish")


def test_an_operator_sends_the_debits_watches_progress_and_runs_payouts(
    world: World, operator: Browser
) -> None:
    api, rid = world.api, world.round_id
    early = operator.post(f"/console/rounds/{rid}/collect")  # members were told a date
    assert early.status_code == 303
    assert "collection-not-due" in _finished(operator, rid)["job"]["error"]
    api.clock.now = api.clock.now.replace(day=14)
    page = operator.get(f"/console/rounds/{rid}")
    assert page.status_code == 200 and 'data-progress="/console/rounds/' in page.text
    assert operator.post(f"/console/rounds/{rid}/collect").status_code == 303
    done = _finished(operator, rid)
    assert done["job"]["error"] is None, done
    assert done["sent"] + done["waived"] == done["to_collect"] > 0, done
    assert api.count("collection_batches") >= 1
    refused = operator.post(f"/console/rounds/{rid}/payouts")  # debits not settled yet
    assert refused.status_code == 409 and 'role="alert"' in refused.text
    assert api.count("payouts") == 0
    later = api.clock.now
    for _ in range(4):
        later += timedelta(hours=6)
        pump_sandbox(api.engine, later)
    assert operator.post(f"/console/rounds/{rid}/retry").status_code == 303
    assert _finished(operator, rid)["job"]["summary"].endswith("written off")
    ran = operator.post(f"/console/rounds/{rid}/payouts")
    assert ran.status_code == 303, ran.text
    assert api.rows("select claim_id, status from payouts") == [(world.claim_c, "submitted")]
    shown = operator.get(f"/console/rounds/{rid}")
    assert f'href="/console/claims/{world.claim_c}"' in shown.text
    for action, times in (("round.collect", 2), ("collection.retry", 1), ("payouts.run", 1)):
        assert api.count("audit_log", "action = :a and actor_account_id = :o", a=action,
                         o=world.operator.account_id) == times, action  # fmt: skip


def _issue(world: World, ref: str = "xhb-p1-a1") -> int:
    with UnitOfWork(world.api.engine) as uow:
        uow.payments.add_issue(
            {"run_at": NOW, "gateway": "sandbox", "statement_date": date(2026, 3, 9), "ref": ref,
             "kind": "amount-mismatch", "expected": 100, "actual": 90, "detail": "books 100"}
        )  # fmt: skip
        uow.commit()
    return int(world.api.rows("select id from reconciliation_issues where ref = :r", r=ref)[0][0])


def test_an_issue_is_resolved_once_with_a_note_and_leaves_the_audit(
    world: World, operator: Browser
) -> None:
    api = world.api
    issue = _issue(world)
    url = f"/console/rounds/reconciliation/{issue}/resolve"
    page = operator.get("/console/rounds/reconciliation")
    assert page.status_code == 200 and f'action="{url}"' in page.text
    empty = operator.post(url, {"note": "  "})
    assert empty.status_code == 400 and 'role="alert"' in empty.text
    assert api.count("reconciliation_issues", "resolved_at is null") == 1
    ok = operator.post(url, {"note": "网关对账单金额有误，已与网关确认"})
    assert ok.status_code == 303, ok.text
    assert api.rows("select resolved_by, resolution from reconciliation_issues") == [
        (world.operator.account_id, "网关对账单金额有误，已与网关确认")
    ]
    again = operator.post(url, {"note": "again"})
    assert again.status_code == 409
    assert api.count("audit_log", "action = 'reconciliation.resolved' and subject = :s",
                     s=f"issue:{issue}") == 1  # fmt: skip
    assert "网关对账单金额有误" in operator.get("/console/rounds/reconciliation").text
    assert (
        operator.post("/console/rounds/reconciliation/999999/resolve", {"note": "x"}).status_code
        == 404
    )


def test_an_issue_says_what_happened_in_the_pages_language(world: World, operator: Browser) -> None:
    _issue(world)
    english = operator.get("/console/rounds/reconciliation").text
    assert "The books and the gateway&#39;s statement show different amounts." in english
    operator.client.headers.pop("Accept-Language")
    chinese = operator.get("/console/rounds/reconciliation").text
    assert "账簿与网关对账单的金额不一致。" in chinese and "books 100" not in chinese


def test_a_resolved_issue_no_longer_fails_the_clearing_check(world: World) -> None:
    _issue(world, "ref-open")
    resolved = _issue(world, "ref-done")
    with UnitOfWork(world.api.engine) as uow:
        assert repo(uow).resolve(resolved, world.operator.account_id, "checked", NOW)
        assert not repo(uow).resolve(resolved, world.operator.account_id, "twice", NOW)
        found = ClearingRepository(uow.conn).issues_of(["ref-open", "ref-done"])
        assert found == {"ref-open": ["amount-mismatch"]}
        assert check_clearing(uow, [], NOW) == ([], [])


def test_only_operators_act_on_money(world: World, auditor: Browser) -> None:
    issue = _issue(world)
    assert auditor.get("/console/rounds/reconciliation").status_code == 200
    assert auditor.get(f"/console/rounds/{world.round_id}").status_code == 200
    for form in (f"/console/rounds/reconciliation/{issue}/resolve",
                 f"/console/rounds/{world.round_id}/collect",
                 f"/console/rounds/{world.round_id}/payouts"):  # fmt: skip
        assert auditor.post(form, {"note": "x"}).status_code == 403, form
    assert (
        browser(world.api, world.reviewer).get("/console/rounds/reconciliation").status_code == 403
    )
    assert world.api.count("reconciliation_issues", "resolved_at is not null") == 0
