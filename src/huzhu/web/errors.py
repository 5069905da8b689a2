"""Refusals as pages: a HuzhuError raised by a page answers an HTML page with the same status.

The API answers the same errors as RFC 9457 problems; a page tells a person, in their language,
what went wrong and what to do, worded by the error's stable `code` (see `messages.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError

from huzhu.domain.errors import HuzhuError
from huzhu.storage.errors import retryable
from huzhu.web import i18n
from huzhu.web.deps import SignInFirst
from huzhu.web.messages import worded
from huzhu.web.render import render_text


def error_page(request: Request, status: int, code: str, message: str) -> HTMLResponse:
    locale, _ = i18n.pick(request)
    gettext = i18n.translations(locale).gettext
    body = render_text(
        "errors/error.html",
        {
            "_": gettext,
            "lang": locale,
            "path": request.url.path,
            "signed_in": False,
            "status": status,
            "code": code,
            "message": worded(gettext, code, message),
        },
    )
    return HTMLResponse(body, status_code=status)


class HtmlRoute(APIRoute):
    """A route whose refusals are pages, and whose member pages send strangers to sign in."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInFirst:
                target = quote(request.url.path, safe="/")
                return RedirectResponse(f"/me/sign-in?next={target}", status_code=303)
            except HuzhuError as e:
                return error_page(request, e.status, e.code, e.message)
            except DBAPIError as e:
                if not retryable(e):
                    raise
                # A deadlock or serialization failure: nothing was written; send it again.
                message = "another change was made at the same moment; please send the form again"
                return error_page(request, 409, "conflict-retry", message)

        return guarded
