"""Claims: the review queue with fraud flags, one claim with its evidence and deadlines, and the
reviewer's actions, each through the service the API calls (same checks, same audit entries)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from huzhu.domain.access import Role
from huzhu.domain.claims import ClaimState
from huzhu.domain.errors import HuzhuError, InvalidInput, NotFound
from huzhu.plans.loader import load_catalogue
from huzhu.services.claims import access, decisions, evidence, objections
from huzhu.services.claims import investigation as inv
from huzhu.services.claims import jury as jury_svc
from huzhu.services.claims.payout import PayoutOverride
from huzhu.services.console import service as svc
from huzhu.web.console.guard import CLAIMS, sections, staff
from huzhu.web.deps import Form, FormVisit, PageVisit, Visit, text
from huzhu.web.errors import HtmlRoute
from huzhu.web.forms import refusal, yuan_to_fen
from huzhu.web.portal.claims import store

router = APIRouter(prefix="/console/claims", route_class=HtmlRoute, include_in_schema=False)
PAGE = 50
MAX_ID = 2**62
# An evidence file opened in the browser runs nothing: a PDF or image is shown, never scripted.
EVIDENCE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _id(value: int, kind: str = "claim") -> int:
    if not 0 < value < MAX_ID:
        raise NotFound(f"no {kind} {value}", code=f"unknown-{kind}", field=kind)
    return value


@router.get("", response_class=HTMLResponse)
def queue(visit: PageVisit, state: str = "submitted", after: int = 0) -> HTMLResponse:
    principal = staff(visit, *CLAIMS)
    chosen = ClaimState(state) if state in ClaimState.__members__.values() else None
    rows = svc.claim_queue(visit.uow, chosen, max(after, 0), PAGE)
    more = rows[-1][0].id if len(rows) == PAGE else None
    return visit.page(
        "console/claims/queue.html", nav=sections(principal), rows=rows, state=state,
        states=list(ClaimState), counts=svc.queue_counts(visit.uow), more=more,
    )  # fmt: skip


def _page(visit: Visit, claim_id: int, status: int = 200, **extra: Any) -> HTMLResponse:
    principal = staff(visit, *CLAIMS)
    review = svc.claim_review(visit.uow, principal, _id(claim_id))
    context: dict[str, Any] = {"errors": {}, **extra}
    return visit.page(
        "console/claims/claim.html", status, nav=sections(principal), r=review,
        condition=load_catalogue().get(review.claim.condition_code), S=ClaimState,
        is_reviewer=principal.has(Role.REVIEWER),
        may_jury=principal.has(Role.REVIEWER, Role.OPERATOR), **context,
    )  # fmt: skip


@router.get("/{claim_id}", response_class=HTMLResponse)
def one_claim(claim_id: int, visit: PageVisit) -> HTMLResponse:
    return _page(visit, claim_id)


@router.get("/{claim_id}/evidence/{evidence_id}")
def evidence_file(claim_id: int, evidence_id: int, visit: PageVisit) -> Response:
    """The file, only for those the API serves it to; never cached, never public."""
    principal = staff(visit, *CLAIMS)
    _, as_staff = access.evidence_reader(visit.uow, principal, _id(claim_id))
    if not as_staff:
        raise access.hidden("evidence", evidence_id)
    try:
        row = visit.uow.evidence.get(_id(evidence_id, "evidence"))
    except NotFound:
        raise access.hidden("evidence", evidence_id) from None
    if row.claim_id != claim_id:
        raise access.hidden("evidence", evidence_id)
    name = quote(row.filename or f"evidence-{row.id}")
    return Response(
        evidence.read(store(visit), row),
        media_type=row.media_type,
        headers={
            "Content-Disposition": f"inline; filename*=UTF-8''{name}",
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": EVIDENCE_CSP,
        },
    )


def _act(visit: Visit, claim_id: int, action: str, form: Any) -> Response:
    uow, principal = visit.uow, staff(visit, *CLAIMS)
    by = access.actor(principal)
    try:
        if action == "assign":
            access.staff(uow, principal, claim_id, Role.REVIEWER, Role.OPERATOR)
            claim = inv.assign(uow, claim_id, principal.account_id, by, visit.now)
            access.log(uow, principal, claim, "claim.assigned", visit.now,
                       account_id=principal.account_id)  # fmt: skip
        elif action == "documents":
            access.investigator(uow, principal, claim_id)
            days = text(form, "days") or "14"
            if not days.isdigit():
                raise InvalidInput("days are a whole number", field="days")
            claim = inv.request_documents(uow, claim_id, text(form, "what"), by, visit.now,
                                          days=int(days))  # fmt: skip
            access.log(uow, principal, claim, "claim.documents_requested", visit.now)
        elif action == "announce":
            access.decider(uow, principal, claim_id)
            amount = text(form, "payout")
            # Another amount than the rule's is an override: an operator's, with a reason.
            payout = None
            if amount:
                payout = PayoutOverride(
                    yuan_to_fen(amount, "payout"),
                    text(form, "payout_reason") or None,
                    by_operator=principal.has(Role.OPERATOR),
                )
            claim = decisions.approve(uow, claim_id, by, visit.now, announce=True, payout=payout)
            access.log(uow, principal, claim, "claim.announced", visit.now)
        elif action == "reject":
            access.decider(uow, principal, claim_id)
            claim = decisions.reject(uow, claim_id, by, text(form, "reason_code"),
                                      text(form, "explanation"), visit.now)  # fmt: skip
            access.log(uow, principal, claim, "claim.rejected", visit.now)
        elif action == "jury":  # an appeal is decided by a jury of members, drawn here
            access.staff(uow, principal, claim_id, Role.REVIEWER, Role.OPERATOR)
            jury = jury_svc.draw_jury(uow, claim_id, by, visit.now, text(form, "seed") or None)
            claim = uow.claims.get(claim_id)
            access.log(uow, principal, claim, "claim.jury_drawn", visit.now, jury_id=jury.id)
        else:
            raise NotFound(f"no action {action}", code="unknown-action", field="action")
    except HuzhuError as e:
        return _page(visit, claim_id, e.status, errors=refusal(visit, e))
    uow.commit()
    return visit.redirect(f"/console/claims/{claim_id}")


@router.post("/{claim_id}/{action}")
def act(claim_id: int, action: str, visit: FormVisit, form: Form) -> Response:
    return _act(visit, _id(claim_id), action, form)


@router.post("/{claim_id}/juries/{jury_id}/close")
def close_jury(claim_id: int, jury_id: int, visit: FormVisit) -> Response:
    """Unseal and count, as the API's close: the result decides the appeal."""
    uow, principal = visit.uow, staff(visit, Role.REVIEWER, Role.OPERATOR)
    try:
        jury = uow.juries.get(_id(jury_id, "jury"))
        if jury.claim_id != claim_id:
            raise NotFound(f"no jury {jury_id}", code="unknown-jury", field="jury")
        access.staff(uow, principal, claim_id, Role.REVIEWER, Role.OPERATOR)
        closed = jury_svc.close_jury(uow, jury_id, access.actor(principal), visit.now)
        claim = uow.claims.get(claim_id)
        access.log(uow, principal, claim, "claim.jury_closed", visit.now, result=str(closed.result))
    except HuzhuError as e:
        return _page(visit, claim_id, e.status, errors=refusal(visit, e))
    uow.commit()
    return visit.redirect(f"/console/claims/{claim_id}#jury-{jury_id}")


@router.post("/{claim_id}/objections/{objection_id}")
def review_objection(claim_id: int, objection_id: int, visit: FormVisit, form: Form) -> Response:
    uow, principal = visit.uow, staff(visit, Role.REVIEWER)
    try:
        found = uow.objections.get(_id(objection_id, "objection"))
        if found.claim_id != claim_id:
            raise access.hidden("objection", objection_id)
        access.decider(uow, principal, claim_id)
        outcome = text(form, "outcome")
        if outcome not in {o.value for o in objections.Outcome}:
            raise InvalidInput("uphold or dismiss", code="missing-field", field="outcome")
        done = objections.review(
            uow, objection_id, objections.Outcome(outcome), text(form, "explanation"),
            access.actor(principal), visit.now,
        )  # fmt: skip
        claim = uow.claims.get(claim_id)
        access.log(uow, principal, claim, f"claim.objection_{done.status.value}", visit.now)
    except HuzhuError as e:
        return _page(visit, claim_id, e.status, errors=refusal(visit, e))
    uow.commit()
    return visit.redirect(f"/console/claims/{claim_id}")
