"""Claims: submit with evidence, follow the progress, answer a request for documents, appeal."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from huzhu.domain.claims import Claim, ClaimState
from huzhu.domain.errors import HuzhuError, InvalidInput, NotFound
from huzhu.domain.plan_fields import local_date
from huzhu.plans.loader import load_catalogue
from huzhu.services.accounts.ownership import own_person_ids
from huzhu.services.claims import access, evidence, submission
from huzhu.services.claims.jury import appeal
from huzhu.storage.evidence import EvidenceStore, local_store
from huzhu.web.deps import Form, FormVisit, PageVisit, Visit, text
from huzhu.web.errors import HtmlRoute
from huzhu.web.forms import refusal, required
from huzhu.web.portal.memberships import MAX_ID, mine

router = APIRouter(prefix="/me/claims", route_class=HtmlRoute, include_in_schema=False)


def store(visit: Visit) -> EvidenceStore:
    """The evidence store the API uses too (one per app)."""
    state = visit.request.app.state
    found: EvidenceStore | None = getattr(state, "evidence_store", None)
    if found is None:
        found = local_store(state.engine.url)
        state.evidence_store = found
    return found


def own_claim(visit: Visit, claim_id: int) -> Claim:
    if not 0 < claim_id < MAX_ID:
        raise NotFound(f"no claim {claim_id}", code="unknown-claim", field="claim")
    return access.own_claim(visit.uow, visit.member, claim_id)


async def _file(form: Any) -> tuple[bytes, str | None, str | None] | None:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    return await upload.read(), upload.content_type, upload.filename


def attach(visit: Visit, claim: Claim, file: tuple[bytes, str | None, str | None]) -> None:
    assert claim.id is not None
    data, media, name = file
    _, new = evidence.upload(
        visit.uow, store(visit), claim.id, data, media, name, access.actor(visit.member), visit.now
    )
    if new:
        access.log(visit.uow, visit.member, visit.uow.claims.get(claim.id), "claim.evidence_added",
                   visit.now)  # fmt: skip


@router.get("", response_class=HTMLResponse)
def my_claims(visit: PageVisit) -> HTMLResponse:
    uow = visit.uow
    memberships = uow.memberships.ids_of_people(own_person_ids(uow, visit.member))
    found = uow.claims.list(
        plan_id=None, state=None, membership_ids=memberships, after_id=0, limit=100
    )
    return visit.page("portal/claims/list.html", claims=found, catalogue=load_catalogue())


def _new_page(visit: Visit, status: int = 200, **extra: Any) -> HTMLResponse:
    uow = visit.uow
    today = local_date(visit.now)
    memberships = []
    for person_id in own_person_ids(uow, visit.member):
        for m in uow.memberships.for_person(person_id):
            if m.left_at is None:
                plan = uow.plans.get(m.plan_id, today)
                memberships.append((m, plan, uow.people.get(m.person_id)))
    conditions = {
        c.code: c
        for _, plan, _ in memberships
        for c in load_catalogue().conditions.values()
        if plan.cover.covers(c)
    }
    context: dict[str, Any] = {"errors": {}, "values": {}, **extra}
    return visit.page(
        "portal/claims/new.html", status, memberships=memberships,
        conditions=sorted(conditions.values(), key=lambda c: c.code), today=today, **context,
    )  # fmt: skip


@router.get("/new", response_class=HTMLResponse)
def new_claim(visit: PageVisit) -> HTMLResponse:
    visit.member  # noqa: B018 - strangers sign in first
    return _new_page(visit)


@router.post("/new")
async def submit(visit: FormVisit, form: Form) -> Response:
    file = await _file(form)
    return await run_in_threadpool(_submit, visit, form, file)


def _submit(visit: Visit, form: Any, file: tuple[bytes, str | None, str | None] | None) -> Response:
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        membership_id = text(form, "membership")
        if not membership_id.isdigit():
            raise InvalidInput("choose a plan", code="missing-field", field="membership")
        m = mine(visit, int(membership_id), write=True)
        assert m.id is not None
        try:
            diagnosed = date.fromisoformat(required(form, "diagnosis_date"))
        except ValueError:
            raise InvalidInput("a date", code="missing-field", field="diagnosis_date") from None
        if file is None:
            raise InvalidInput("attach the diagnosis", code="evidence-empty", field="file")
        claim = submission.submit(
            visit.uow,
            submission.ClaimRequest(
                membership_id=m.id,
                condition_code=required(form, "condition_code"),
                diagnosis_date=diagnosed,
                hospital=required(form, "hospital"),
                evidence=(file[2] or "evidence",),
            ),
            visit.now,
        )
        access.log(visit.uow, visit.member, claim, "claim.submitted", visit.now)
        attach(visit, claim, file)
    except HuzhuError as e:
        errors = refusal(visit, e)
        return _new_page(visit, e.status, errors=errors, values=values)
    visit.uow.commit()
    return visit.redirect(f"/me/claims/{claim.id}?submitted=1")


@router.get("/{claim_id}", response_class=HTMLResponse)
def one_claim(claim_id: int, visit: PageVisit) -> HTMLResponse:
    return _claim_page(visit, own_claim(visit, claim_id))


def _claim_page(visit: Visit, claim: Claim, status: int = 200, **extra: Any) -> HTMLResponse:
    assert claim.id is not None
    uow = visit.uow
    context: dict[str, Any] = {"errors": {}, **extra}
    return visit.page(
        "portal/claims/claim.html", status, claim=claim,
        condition=load_catalogue().get(claim.condition_code),
        events=uow.workflow.events(claim.id), workflow=uow.workflow.get(claim.id),
        files=evidence.claim_files(uow, claim), juries=uow.juries.for_claim(claim.id),
        S=ClaimState, notice=visit.request.query_params.get("submitted"), **context,
    )  # fmt: skip


@router.post("/{claim_id}/evidence")
async def add_evidence(claim_id: int, visit: FormVisit, form: Form) -> Response:
    file = await _file(form)
    return await run_in_threadpool(_add_evidence, claim_id, visit, file)


def _add_evidence(
    claim_id: int, visit: Visit, file: tuple[bytes, str | None, str | None] | None
) -> Response:
    claim = own_claim(visit, claim_id)
    try:
        if file is None:
            raise InvalidInput("choose a file", code="evidence-empty", field="file")
        attach(visit, claim, file)
    except HuzhuError as e:
        errors = refusal(visit, e)
        return _claim_page(visit, own_claim(visit, claim_id), e.status, errors=errors)
    visit.uow.commit()
    return visit.redirect(f"/me/claims/{claim_id}")


@router.post("/{claim_id}/appeal")
def appeal_claim(claim_id: int, visit: FormVisit, form: Form) -> Response:
    own_claim(visit, claim_id)
    try:
        claim = appeal(visit.uow, claim_id, text(form, "statement"), access.actor(visit.member),
                       visit.now)  # fmt: skip
        access.log(visit.uow, visit.member, claim, "claim.appealed", visit.now)
    except HuzhuError as e:
        errors = refusal(visit, e)
        return _claim_page(visit, own_claim(visit, claim_id), e.status, errors=errors)
    visit.uow.commit()
    return visit.redirect(f"/me/claims/{claim_id}")
