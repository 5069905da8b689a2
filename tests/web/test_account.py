"""Signing up, in and out: cookie session, CSRF on every form, refusals in words."""

from __future__ import annotations

import jwt
import pytest
from sqlalchemy import Engine
from webkit import FAST, Api, Clock, Web, text_of

from api.apikit import real_now
from huzhu.api.deps import CSRF_COOKIE, SESSION_COOKIE
from huzhu.api.settings import Settings, load
from huzhu.services.accounts.service import create_host_app
from huzhu.storage.uow import UnitOfWork

PASSWORD = "a long enough password"


def test_sign_up_opens_a_session_with_strict_cookies(web: Web, api: Api) -> None:
    browser = web.browser()
    r = web.post(browser, "/me/sign-up", {"username": "meimei", "password": PASSWORD})
    assert r.status_code == 303 and r.headers["location"] == "/me"
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in session and "SameSite=strict" in session
    csrf = next(c for c in cookies if c.startswith(CSRF_COOKIE + "="))
    assert "HttpOnly" in csrf
    page = browser.get("/me")
    assert page.status_code == 200
    assert "您还没有加入计划" in text_of(page)
    assert api.count("audit_log", "action = 'account.registered'") == 1


def test_cookies_are_secure_unless_the_local_demo_turns_it_off(
    engine: Engine, clock: Clock
) -> None:
    assert Settings().cookie_secure and load().cookie_secure
    web = Web(Api(engine, clock, FAST.model_copy(update={"cookie_secure": True})))
    browser = web.browser(base_url="https://testserver")
    r = web.post(browser, "/me/sign-up", {"username": "secure", "password": PASSWORD})
    assert r.status_code == 303, r.text
    session = next(c for c in r.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "Secure" in session


def test_a_form_without_the_csrf_token_is_refused(web: Web, api: Api) -> None:
    browser = web.browser()
    browser.get("/me/sign-in")  # the browser has its token now
    r = browser.post("/me/sign-up", data={"username": "mallory", "password": PASSWORD})
    assert r.status_code == 403
    assert "表单已过期" in text_of(r)
    r = browser.post(
        "/me/sign-up", data={"csrf": "forged", "username": "x1x", "password": PASSWORD}
    )
    assert r.status_code == 403
    assert api.count("accounts", "username IN ('mallory', 'x1x')") == 0


def test_a_signed_in_form_needs_the_sessions_own_token(web: Web, api: Api) -> None:
    """The double-submit cookie alone is not enough: the token must be the session's."""
    user = api.member("ann", plan=None)
    browser = web.signed_in(user)
    browser.cookies.set(CSRF_COOKIE, "attacker-chosen")
    r = browser.post("/me/sign-out", data={"csrf": "attacker-chosen"})
    assert r.status_code == 403


def test_sign_up_refusals_are_worded_beside_the_field(web: Web, api: Api) -> None:
    api.account("taken")
    browser = web.browser()
    r = web.post(browser, "/me/sign-up", {"username": "taken", "password": PASSWORD})
    assert r.status_code == 409
    assert "该用户名已被使用" in text_of(r)
    r = web.post(web.browser("en"), "/me/sign-up", {"username": "fresh", "password": "short"})
    assert r.status_code == 400
    assert "A password needs 10 to 256 characters." in text_of(r)
    assert 'aria-invalid="true"' in r.text
    # A guessable password is refused in the page's words, not the strength checker's English.
    r = web.post(web.browser(), "/me/sign-up", {"username": "xiaoli", "password": "xiaoli123456"})
    assert r.status_code == 400
    assert "这个密码太容易被猜到" in text_of(r) and "easy to guess" not in text_of(r)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sign_in_and_out(web: Web, api: Api, lang: str) -> None:
    browser = web.browser(lang)
    web.post(browser, "/me/sign-up", {"username": "lily", "password": PASSWORD})
    browser.cookies.clear()
    wrong = web.post(browser, "/me/sign-in", {"username": "lily", "password": "wrong password!"})
    assert wrong.status_code == 401
    assert ("用户名或密码错误" if lang == "zh" else "Wrong username or password.") in text_of(wrong)
    ok = web.post(browser, "/me/sign-in", {"username": "lily", "password": PASSWORD,
                                           "next": "/me/inbox"})  # fmt: skip
    assert ok.status_code == 303 and ok.headers["location"] == "/me/inbox"
    assert browser.get("/me/inbox").status_code == 200
    out = web.post(browser, "/me/sign-out")
    assert out.status_code == 303
    assert browser.get("/me").status_code == 303  # back to the sign-in form


def test_sign_in_never_redirects_to_another_site(web: Web, api: Api) -> None:
    browser = web.browser()
    web.post(browser, "/me/sign-up", {"username": "nora", "password": PASSWORD})
    browser.cookies.clear()
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        r = web.post(browser, "/me/sign-in", {"username": "nora", "password": PASSWORD,
                                              "next": target})  # fmt: skip
        assert r.headers["location"] == "/me", target
        browser.cookies.clear()


def test_member_pages_send_strangers_to_sign_in(web: Web) -> None:
    for path in ("/me", "/me/claims", "/me/jury", "/me/inbox", "/me/plans/1", "/me/join/x"):
        r = web.browser().get(path)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/me/sign-in?next="), path


def test_a_host_app_signs_its_user_in_without_a_password(web: Web, api: Api) -> None:
    with UnitOfWork(api.engine) as uow:
        host = create_host_app(uow, "wallet", None, api.clock())
        uow.commit()
    api.clock.now = real_now()  # PyJWT checks the expiry against the real clock
    now = int(api.clock().timestamp())
    claims = {"sub": "u-42", "aud": "huzhu", "iat": now, "exp": now + 300, "jti": "n-1"}
    assertion = jwt.encode(claims, host.assertion_secret, algorithm="HS256")
    browser = web.browser()
    r = web.post(browser, "/me/host-sign-in", {"app": "wallet", "assertion": assertion})
    assert r.status_code == 303 and r.headers["location"] == "/me"
    assert browser.get("/me").status_code == 200
    kinds = api.rows("SELECT kind FROM auth_sessions ORDER BY id DESC LIMIT 1")
    assert kinds[0].kind == "cookie"
    again = web.post(web.browser(), "/me/host-sign-in", {"app": "wallet", "assertion": assertion})
    assert again.status_code == 401 and "此登录信息已被使用" in text_of(again)
