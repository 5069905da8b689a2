"""What every page handler needs: the visit (session, locale, CSRF token) and the form check.

The session is the API's cookie session (`services.accounts`), so a member signed in on the web
is signed in to the API from the same browser. Every form carries a CSRF token: the browser keeps
it in a cookie, the form echoes it, and for a signed-in visitor it must also match the digest the
session stored when it opened. A cross-site form can neither read the cookie nor guess the token.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from huzhu.api.deps import CSRF_COOKIE, SESSION_COOKIE, Config, Now, Settings, Uow
from huzhu.domain.access import Principal
from huzhu.domain.errors import Forbidden, HuzhuError
from huzhu.services.accounts.service import digest, resolve
from huzhu.services.plans.figures import Headcounts
from huzhu.storage.uow import UnitOfWork
from huzhu.web import i18n
from huzhu.web.render import render_text

R = TypeVar("R", bound=Response)


class SignInFirst(Exception):
    """A member page opened without a session: the page answers with the sign-in form."""


@dataclass
class Visit:
    request: Request
    uow: UnitOfWork
    now: datetime
    settings: Settings
    locale: str
    remember_locale: bool
    principal: Principal | None
    csrf: str
    new_csrf: bool
    csrf_hash: str | None = None
    cookies: dict[str, str] = field(default_factory=dict)

    def _(self, message: str) -> str:
        return i18n.translations(self.locale).gettext(message)

    @property
    def headcounts(self) -> Headcounts:
        counts: Headcounts = self.request.app.state.headcounts
        return counts

    @property
    def member(self) -> Principal:
        if self.principal is None:
            raise SignInFirst()
        return self.principal

    def page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        body = render_text(
            template,
            {
                "_": self._,
                "lang": self.locale,
                "visit": self,
                "path": self.request.url.path,
                "signed_in": self.principal is not None,
                "csrf": self.csrf,
                **context,
            },
        )
        return self.finish(HTMLResponse(body, status_code=status))

    def redirect(self, url: str) -> RedirectResponse:
        return self.finish(RedirectResponse(url, status_code=303))

    def finish(self, response: R) -> R:
        secure = self.settings.cookie_secure
        if self.remember_locale:
            response.set_cookie(
                i18n.LANG_COOKIE, self.locale, max_age=365 * 86400, httponly=True,
                samesite="lax", secure=secure, path="/",
            )  # fmt: skip
        if self.new_csrf:
            response.set_cookie(
                CSRF_COOKIE, self.csrf, httponly=True, samesite="strict", secure=secure, path="/"
            )
        for name, value in self.cookies.items():
            if value:
                max_age = int(self.settings.session_ttl.total_seconds())
                response.set_cookie(
                    name, value, max_age=max_age, httponly=True, samesite="strict",
                    secure=secure, path="/",
                )  # fmt: skip
            else:
                response.delete_cookie(name, path="/")
        return response


def get_visit(request: Request, uow: Uow, now: Now, settings: Config) -> Visit:
    locale, remember = i18n.pick(request)
    principal, csrf_hash = None, None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            principal, csrf_hash = resolve(uow, token, now)
        except HuzhuError:  # expired or revoked: the visitor is simply signed out
            principal = None
    csrf = request.cookies.get(CSRF_COOKIE) or ""
    new_csrf = not csrf
    if new_csrf:
        csrf = secrets.token_urlsafe(32)
    return Visit(
        request, uow, now, settings, locale, remember, principal, csrf, new_csrf, csrf_hash
    )


async def read_form(request: Request) -> FormData:
    return await request.form()


def checked_visit(
    visit: Annotated[Visit, Depends(get_visit)],
    form: Annotated[FormData, Depends(read_form)],
) -> Visit:
    """The visit of a form post whose CSRF token checks out (double submit, plus the session's
    digest when signed in)."""
    sent = form.get("csrf")
    sent = sent if isinstance(sent, str) else ""
    if visit.new_csrf or not hmac.compare_digest(sent, visit.csrf):
        raise Forbidden("missing or wrong CSRF token", code="csrf-failed")
    if visit.principal is not None and not (
        visit.csrf_hash and hmac.compare_digest(digest(sent), visit.csrf_hash)
    ):
        raise Forbidden("missing or wrong CSRF token", code="csrf-failed")
    return visit


PageVisit = Annotated[Visit, Depends(get_visit)]
FormVisit = Annotated[Visit, Depends(checked_visit)]
Form = Annotated[FormData, Depends(read_form)]


def text(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else default


Handler = Callable[..., Response]
