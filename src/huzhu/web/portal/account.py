"""Signing up, in and out of the portal, and the member's identity and dependants.

Sign-in opens the same cookie session as the API's `POST /v1/auth/session`, rate-limited alike.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from huzhu.api.deps import CSRF_COOKIE, SESSION_COOKIE
from huzhu.domain.errors import HuzhuError
from huzhu.services.accounts import service as accounts
from huzhu.services.accounts.ownership import own_person_ids
from huzhu.services.accounts.service import IssuedSession
from huzhu.services.events import record
from huzhu.services.members.identity import give_dependant
from huzhu.web.deps import Form, FormVisit, PageVisit, Visit, text
from huzhu.web.errors import HtmlRoute
from huzhu.web.forms import person_details, refusal

router = APIRouter(prefix="/me", route_class=HtmlRoute, include_in_schema=False)


def safe_next(target: str) -> str:
    """Only our own pages: never another site (open redirect) nor a scheme-relative URL."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/me"


def _client(visit: Visit) -> str:
    return visit.request.client.host if visit.request.client else "unknown"


def _open_session(visit: Visit, account_id: int, issued: IssuedSession | None = None) -> None:
    issued = issued or accounts.open_session(
        visit.uow, account_id, visit.now, cookie=True, ttl=visit.settings.session_ttl
    )
    visit.cookies[SESSION_COOKIE] = issued.token
    visit.cookies[CSRF_COOKIE] = issued.csrf_token or ""
    visit.new_csrf = False
    # Messages (inbox, e-mail, SMS) are worded in the language the member signs in with.
    person_id = visit.uow.accounts.get(account_id).person_id
    if person_id is not None:
        visit.uow.people.set_locale(person_id, visit.locale)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(visit: PageVisit, next: str = "/me") -> HTMLResponse:
    return visit.page("portal/me/sign_in.html", next=safe_next(next), errors={}, username="")


@router.post("/sign-in")
def sign_in(visit: FormVisit, form: Form) -> Response:
    username, target = text(form, "username"), safe_next(text(form, "next", "/me"))
    limiter = visit.request.app.state.limiter
    try:
        limiter.hit(visit.settings.sign_in_limit, "sign-in", _client(visit), username)
        account = accounts.authenticate(visit.uow, username, text(form, "password"))
    except HuzhuError as e:
        errors = refusal(visit, e)
        return visit.page(
            "portal/me/sign_in.html", e.status, next=target, errors=errors, username=username
        )
    _open_session(visit, account.id)
    visit.uow.commit()
    return visit.redirect(target)


@router.get("/host-sign-in", response_class=HTMLResponse)
def host_sign_in_form(visit: PageVisit) -> HTMLResponse:
    """For a host app's web view: it fills in its name and a fresh signed assertion and submits."""
    return visit.page("portal/me/host_sign_in.html", errors={})


@router.post("/host-sign-in")
def host_sign_in(visit: FormVisit, form: Form) -> Response:
    app = text(form, "app")
    limiter = visit.request.app.state.limiter
    try:
        limiter.hit(visit.settings.sign_in_limit, "assertion", app, _client(visit))
        issued = accounts.exchange_assertion(
            visit.uow, app, text(form, "assertion"), visit.now, visit.settings.session_ttl,
            cookie=True,
        )  # fmt: skip
    except HuzhuError as e:
        errors = refusal(visit, e)
        return visit.page("portal/me/host_sign_in.html", e.status, errors=errors)
    _open_session(visit, issued.account_id, issued)
    visit.uow.commit()
    return visit.redirect("/me")


@router.get("/sign-up", response_class=HTMLResponse)
def sign_up_form(visit: PageVisit) -> HTMLResponse:
    return visit.page("portal/me/sign_up.html", errors={}, username="")


@router.post("/sign-up")
def sign_up(visit: FormVisit, form: Form) -> Response:
    username = text(form, "username")
    limiter = visit.request.app.state.limiter
    try:
        limiter.hit(visit.settings.sign_in_limit, "register", _client(visit))
        account_id = accounts.register(visit.uow, username, text(form, "password"), visit.now)
    except HuzhuError as e:
        errors = refusal(visit, e)
        return visit.page("portal/me/sign_up.html", e.status, errors=errors, username=username)
    record(visit.uow, account_id, "account.registered", f"account:{account_id}", {}, visit.now)
    _open_session(visit, account_id)
    visit.uow.commit()
    return visit.redirect("/me")


@router.post("/sign-out")
def sign_out(visit: FormVisit) -> Response:
    if visit.principal is not None and visit.principal.session_id is not None:
        visit.uow.accounts.revoke_session(visit.principal.session_id, visit.now)
        visit.uow.commit()
    visit.cookies[SESSION_COOKIE] = ""
    visit.cookies[CSRF_COOKIE] = ""
    return visit.redirect("/")


@router.get("/dependants", response_class=HTMLResponse)
def dependants(visit: PageVisit, received: int = 0) -> HTMLResponse:
    principal = visit.member
    people = (
        visit.uow.people.dependants(principal.person_id) if principal.person_id is not None else []
    )
    return visit.page(
        "portal/me/dependants.html", people=people, errors={}, values={},
        has_identity=principal.person_id is not None, received=bool(received),
    )  # fmt: skip


@router.post("/dependants")
def add(visit: FormVisit, form: Form) -> Response:
    principal = visit.member
    try:
        # Answered alike whether or not the number is on file (services.identity).
        give_dependant(visit.uow, principal, person_details(form), visit.now)
    except HuzhuError as e:
        people = visit.uow.people.dependants(principal.person_id) if principal.person_id else []
        return visit.page(
            "portal/me/dependants.html", e.status, people=people, errors=refusal(visit, e),
            values=dict(form), has_identity=principal.person_id is not None, received=False,
        )  # fmt: skip
    visit.uow.commit()
    return visit.redirect("/me/dependants?received=1")


def own_people(visit: Visit) -> list[int]:
    return own_person_ids(visit.uow, visit.member)
