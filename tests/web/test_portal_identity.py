"""The portal's dependants form answers alike whether or not an ID number is on file."""

from __future__ import annotations

from datetime import date

from webkit import Api, Web, text_of

from api.apikit import PLAN, healthy
from helpers import id_number


def test_the_dependants_form_answers_alike(web: Web, api: Api) -> None:
    owner = api.member("owner", plan=None, name="李明华")
    browser = web.signed_in(api.member("mama", plan=None))
    on_file = web.post(browser, "/me/dependants", {"name": "李明华", "id_number": owner.id_number})
    new = {"name": "张小宝", "id_number": id_number(904, date(2016, 6, 1))}
    fresh = web.post(browser, "/me/dependants", new)
    assert on_file.status_code == fresh.status_code == 303, text_of(on_file)
    assert on_file.headers["location"] == fresh.headers["location"] == "/me/dependants?received=1"
    page = text_of(browser.get("/me/dependants?received=1"))
    assert "已收到" in page and "张小宝" in page and "李明华" not in page
    assert api.count("identity_checks", "state = 'pending' AND kind = 'dependant'") == 1


def test_the_join_form_holds_a_number_on_file(web: Web, api: Api) -> None:
    owner = api.member("owner", name="李明华")
    browser = web.signed_in(api.account("eve"))
    answers = {f"q-{k}": ("yes" if v else "no") for k, v in healthy(api.engine, PLAN).items()}
    form = {"name": "李明华", "id_number": owner.id_number, **answers}
    r = web.post(browser, f"/me/join/{PLAN}", form)
    assert r.status_code == 409 and "您的身份正在等待运营方核实" in text_of(r)
    assert api.count("identity_checks", "state = 'pending' AND kind = 'self'") == 1
    assert api.count("memberships") == 1
