"""Issue 11: the portal's join form carries a hidden key; a prepaid plan's deposit goes through the
gateway under it, and the same form sent twice (one after the other, or at the same moment) joins
and asks the deposit once."""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path

from webkit import Api, Web, text_of

from api.apikit import healthy
from helpers import id_number
from huzhu.storage.uow import UnitOfWork

sys.path.append(str(Path(__file__).parent.parent / "concurrency"))
from racekit import race

PREPAID = "qingsong-huzhu"


def _form(web: Web, browser: object, api: Api, plan: str, n: int) -> dict[str, str]:
    page = browser.get(f"/me/join/{plan}")  # type: ignore[attr-defined]
    assert page.status_code == 200, page.text
    key = re.search(r'name="key" value="([^"]+)"', page.text)
    assert key is not None, "the join form carries no idempotency key"
    answers = {f"q-{k}": ("yes" if v else "no") for k, v in healthy(api.engine, plan).items()}
    person = {"name": "刘青松", "id_number": id_number(n, date(1991, 2, 3))}
    return {"key": key.group(1), **person, **answers}


def _deposits(api: Api) -> list[int]:
    return [r.amount for r in api.rows("SELECT amount FROM sandbox_requests ORDER BY ref")]


def test_a_prepaid_plan_is_joined_with_its_deposit_once(web: Web, api: Api) -> None:
    browser = web.signed_in(api.account("qing"))
    form = _form(web, browser, api, PREPAID, 911)
    first = web.post(browser, f"/me/join/{PREPAID}", form)
    assert first.status_code == 303, text_of(first)
    again = web.post(browser, f"/me/join/{PREPAID}", form)  # a double click, a reload
    assert again.status_code == 303, text_of(again)
    assert again.headers["location"] == first.headers["location"]
    assert api.count("memberships") == 1
    assert api.count("audit_log", "action = 'membership.joined'") == 1
    with UnitOfWork(api.engine) as uow:
        deposit = uow.plans.get(PREPAID).collection.initial_deposit
    assert _deposits(api) == [deposit]  # asked of the gateway, once
    (state,) = api.rows("SELECT lifecycle FROM memberships")
    assert state.lifecycle == "suspended"  # cover starts when the deposit arrives
    # a new form (a new key) for the same plan is a second join: refused, nothing asked
    refused = web.post(browser, f"/me/join/{PREPAID}", {**form, "key": "another-key-123"})
    assert refused.status_code == 409 and _deposits(api) == [deposit]


def test_a_refused_form_claims_no_key(web: Web, api: Api) -> None:
    browser = web.signed_in(api.account("qing"))
    form = _form(web, browser, api, PREPAID, 912)
    bad = web.post(browser, f"/me/join/{PREPAID}", {**form, "id_number": "123"})
    assert bad.status_code == 400 and f'value="{form["key"]}"' in bad.text
    ok = web.post(browser, f"/me/join/{PREPAID}", form)  # corrected, same key
    assert ok.status_code == 303, text_of(ok)
    assert api.count("memberships") == 1 and api.count("idempotency_keys") == 1


def test_twins_sent_at_the_same_moment_join_once(web: Web, api: Api) -> None:
    user = api.account("twin")
    browsers = [web.signed_in(user) for _ in range(4)]
    form = _form(web, browsers[0], api, PREPAID, 913)
    answers = race([(lambda b=b: web.post(b, f"/me/join/{PREPAID}", form)) for b in browsers])
    statuses = [a.value.status_code if a.error is None else repr(a.error) for a in answers]
    locations = {a.value.headers.get("location") for a in answers if a.error is None}
    assert api.count("memberships") == 1 and len(_deposits(api)) == 1, statuses
    # every twin was sent to the one membership, or told to send again (nothing written)
    assert set(statuses) <= {303, 409}, statuses
    assert len(locations - {None}) == 1 and statuses.count(303) >= 1, statuses
