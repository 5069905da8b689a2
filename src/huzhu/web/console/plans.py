"""Plans: every plan with its versions, and publishing a new version from an edited plan file,
with the file's errors named by field and a quote of the next round under the old and new rules
before the operator confirms. Publishing is `services.plans.publish`, as `huzhu plans publish`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from huzhu.domain.access import Role
from huzhu.domain.errors import HuzhuError, InvalidInput
from huzhu.domain.plan_fields import local_date
from huzhu.plans.loader import TEMPLATE_IDS
from huzhu.services.events import record
from huzhu.services.plans.preview import preview_publish
from huzhu.services.plans.service import publish
from huzhu.web.console.guard import PLANS, sections, staff
from huzhu.web.deps import Form, FormVisit, PageVisit, Visit, text
from huzhu.web.errors import HtmlRoute
from huzhu.web.forms import refusal

router = APIRouter(prefix="/console/plans", route_class=HtmlRoute, include_in_schema=False)
MAX_FILE = 256 * 1024  # a plan file is a few kilobytes


def _page(visit: Visit, status: int = 200, **extra: Any) -> HTMLResponse:
    principal = staff(visit, *PLANS)
    uow = visit.uow
    today = local_date(visit.now)
    plans = [(uow.plans.get(p, today), uow.plans.history(p)) for p in uow.plans.ids()]
    context: dict[str, Any] = {"errors": {}, "change": None, "document": "", "fee_rise": False}
    return visit.page(
        "console/plans/plans.html", status, nav=sections(principal), plans=plans,
        may_publish=principal.has(Role.OPERATOR), templates=TEMPLATE_IDS, **{**context, **extra},
    )  # fmt: skip


@router.get("", response_class=HTMLResponse)
def plans_page(visit: PageVisit, edit: str = "") -> HTMLResponse:
    document = ""
    if edit:  # start from the version in force: the operator edits a copy of it
        principal = staff(visit, *PLANS)
        if principal.has(Role.OPERATOR) and edit in visit.uow.plans.ids():
            plan_id = edit
            version = visit.uow.plans.latest_version(plan_id)
            assert version is not None
            document = visit.uow.plans.document(plan_id, version)
    return _page(visit, document=document)


def _document(form: FormData) -> str:
    """The uploaded file if one was chosen, else the text area (kept as typed: TOML is strict)."""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = upload.file.read(MAX_FILE + 1)
    else:
        value = form.get("document")
        raw = value.encode("utf-8") if isinstance(value, str) else b""
    if len(raw) > MAX_FILE:
        raise InvalidInput("a plan file is at most 256 KB", code="plan-file-too-big", field="file")
    try:
        document = raw.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8 text", code="plan-file-invalid") from None
    if not document.strip():
        raise InvalidInput("paste the plan file or choose it", code="missing-field", field="file")
    return document


@router.post("/preview")
def preview(visit: FormVisit, form: Form) -> Response:
    staff(visit, Role.OPERATOR)
    fee_rise = text(form, "accept_fee_rise") == "yes"
    document = ""
    try:
        document = _document(form)
        change = preview_publish(visit.uow, document, visit.now, accept_fee_rise=fee_rise)
    except HuzhuError as e:
        errors = refusal(visit, e)
        return _page(visit, e.status, errors=errors, document=document, fee_rise=fee_rise)
    return _page(visit, change=change, document=document, fee_rise=fee_rise)


@router.post("/publish")
def publish_version(visit: FormVisit, form: Form) -> Response:
    principal = staff(visit, Role.OPERATOR)
    fee_rise = text(form, "accept_fee_rise") == "yes"
    document = ""
    try:
        document = _document(form)
        plan = publish(visit.uow, document, visit.now, source="console", accept_fee_rise=fee_rise)
    except HuzhuError as e:
        errors = refusal(visit, e)
        return _page(visit, e.status, errors=errors, document=document, fee_rise=fee_rise)
    details = {"plan_id": plan.id, "version": plan.version, "changes": plan.changes or ""}
    subject = f"plan:{plan.id}:v{plan.version}"
    record(visit.uow, principal.account_id, "plan.published", subject, details, visit.now)
    visit.uow.commit()
    return visit.redirect(f"/console/plans?published={plan.id}")
