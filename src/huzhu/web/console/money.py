"""A round's money in the console: its collection (batches, failed debits and their retry, sent
with a progress view), its payouts and their run, and reconciliation issues, each resolvable with
a note. Every action is the service `huzhu collect`, `huzhu payouts run` and the API use."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, Response

from huzhu import gateways
from huzhu.domain.access import Role
from huzhu.domain.errors import HuzhuError, NotFound
from huzhu.gateways import GatewayFactory
from huzhu.services.console import service as console_svc
from huzhu.services.events import record
from huzhu.services.money import collection, payouts
from huzhu.services.money import reconcile_issues as issues
from huzhu.services.progress import Progress
from huzhu.storage.repositories.money.round_pages import KeysetPage, RoundPagesRepository
from huzhu.storage.repositories.rounds.repository import RoundRecord
from huzhu.web.console.guard import ROUNDS, sections, staff
from huzhu.web.console.jobs import Jobs
from huzhu.web.deps import Form, FormVisit, PageVisit, Visit, text
from huzhu.web.errors import HtmlRoute
from huzhu.web.forms import refusal
from huzhu.web.messages import RECONCILIATION

router = APIRouter(prefix="/console/rounds", route_class=HtmlRoute, include_in_schema=False)
SHOWN = 50  # failed debits and payouts per page
MAX_ID = 2**62
Cursors = dict[str, int | None]  # the page's keyset cursors, by query parameter


def _jobs(visit: Visit) -> Jobs:
    jobs: Jobs = visit.request.app.state.console_jobs
    return jobs


def _gateway(visit: Visit) -> GatewayFactory:
    return gateways.factory(None, visit.settings)


def _round(visit: Visit, round_id: int) -> RoundRecord:
    found = visit.uow.rounds.get(round_id) if 0 < round_id < MAX_ID else None
    if found is None:
        raise NotFound(f"no round {round_id}", code="unknown-round", field="round")
    return found


def _progress(visit: Visit, r: RoundRecord) -> dict[str, Any]:
    # The job's state first, then the figures: a job seen finished has committed, so the figures
    # read after it are its own (read before, they could predate its commit).
    job = _jobs(visit).for_round(r.id)
    view = job.view() if job else None
    sent, waived, unsettled = visit.uow.collection.round_progress(r.id)
    return {
        "to_collect": r.figures.collected, "sent": int(sent), "waived": int(waived),
        "unsettled_batches": int(unsettled), "complete": sent + waived == r.figures.collected,
        "job": view,
    }  # fmt: skip


def _cursor(value: int | None) -> int | None:
    return value if value is not None and 0 <= value < MAX_ID else None


def _links(r: RoundRecord, at: Cursors, fp: KeysetPage, pp: KeysetPage) -> dict[str, str | None]:
    """Next and previous links of each table, each keeping the other table where it is."""

    def link(**changed: int | None) -> str:
        query = {k: v for k, v in {**at, **changed}.items() if v is not None}
        return f"/console/rounds/{r.id}?{urlencode(query)}" if query else f"/console/rounds/{r.id}"

    def moved(table: str, page: KeysetPage) -> tuple[str | None, str | None]:
        cleared = {f"{table}_after": None, f"{table}_before": None}
        after, before = page.next_after, page.previous_before
        return (
            link(**{**cleared, f"{table}_after": after}) if after is not None else None,
            link(**{**cleared, f"{table}_before": before}) if before is not None else None,
        )

    f_next, f_previous = moved("failures", fp)
    p_next, p_previous = moved("payouts", pp)
    return {"failures_next": f_next, "failures_previous": f_previous,
            "payouts_next": p_next, "payouts_previous": p_previous}  # fmt: skip


def _round_page(
    visit: Visit, round_id: int, status: int = 200, at: Cursors | None = None, **extra: Any
) -> HTMLResponse:
    principal = staff(visit, *ROUNDS)
    r = _round(visit, round_id)
    at = {k: _cursor(v) for k, v in (at or {}).items()}
    pages = RoundPagesRepository(visit.uow.conn)  # queries live in the repository
    fp = pages.failures_page(r.id, SHOWN, after=at.get("failures_after"),
                             before=at.get("failures_before"))  # fmt: skip
    pp = pages.payouts_page(r.id, SHOWN, after=at.get("payouts_after"),
                            before=at.get("payouts_before"))  # fmt: skip
    counts = pages.counts(r.id)
    context: dict[str, Any] = {"errors": {}, "done": "", **extra}
    return visit.page(
        "console/rounds/round.html", status, nav=sections(principal), r=r,
        progress=_progress(visit, r), batches=visit.uow.collection.batches(r.id),
        failures=fp.rows, failure_counts=counts.failures, payouts=pp.rows,
        payout_counts=counts.payouts, links=_links(r, at, fp, pp),
        may_act=principal.has(Role.OPERATOR), **context,
    )  # fmt: skip


@router.get("/reconciliation", response_class=HTMLResponse)
def reconciliation(visit: PageVisit) -> HTMLResponse:
    return _issues_page(visit)


def _issues_page(visit: Visit, status: int = 200, **extra: Any) -> HTMLResponse:
    principal = staff(visit, *ROUNDS)
    context: dict[str, Any] = {"errors": {}, "failed_issue": None, **extra}
    return visit.page(
        "console/rounds/reconciliation.html", status, nav=sections(principal),
        open_issues=issues.open_issues(visit.uow), resolved=issues.resolved_issues(visit.uow),
        issue_kinds={kind: visit._(text) for kind, text in RECONCILIATION.items()},
        gateway=console_svc.repo(visit.uow).gateway_log(after_id=0, limit=SHOWN),
        may_act=principal.has(Role.OPERATOR), **context,
    )  # fmt: skip


@router.post("/reconciliation/{issue_id}/resolve")
def resolve(issue_id: int, visit: FormVisit, form: Form) -> Response:
    principal = staff(visit, Role.OPERATOR)
    try:
        issues.resolve_issue(visit.uow, principal, issue_id, text(form, "note"), visit.now)
    except HuzhuError as e:
        return _issues_page(visit, e.status, errors=refusal(visit, e), failed_issue=issue_id)
    visit.uow.commit()
    return visit.redirect("/console/rounds/reconciliation?resolved=1")


@router.get("/{round_id}", response_class=HTMLResponse)
def one_round(
    round_id: int,
    visit: PageVisit,
    failures_after: int | None = None,
    failures_before: int | None = None,
    payouts_after: int | None = None,
    payouts_before: int | None = None,
) -> HTMLResponse:
    at = {"failures_after": failures_after, "failures_before": failures_before,
          "payouts_after": payouts_after, "payouts_before": payouts_before}  # fmt: skip
    return _round_page(visit, round_id, at=at)


@router.get("/{round_id}/progress.json")
def progress(round_id: int, visit: PageVisit) -> JSONResponse:
    staff(visit, *ROUNDS)
    body = _progress(visit, _round(visit, round_id))
    return JSONResponse(body, headers={"Cache-Control": "private, no-store"})


def _audit(visit: Visit, action: str, r: RoundRecord, details: dict[str, Any]) -> None:
    actor = visit.member.account_id
    record(visit.uow, actor, action, f"round:{r.id}", details, visit.now)


@router.post("/{round_id}/collect")
def collect(round_id: int, visit: FormVisit) -> Response:
    """Send the round's debit batches beside the request; the page polls their progress. One
    job per round at a time in this process; the service itself resumes safely if run twice."""
    staff(visit, Role.OPERATOR)
    r = _round(visit, round_id)
    running = _jobs(visit).for_round(r.id)
    if running is None or running.finished:
        engine, gateway_for, now = visit.uow.engine, _gateway(visit), visit.now
        plan_id, day = r.plan_id, r.announce_date
        _audit(visit, "round.collect", r, {"plan_id": plan_id, "announce_date": day.isoformat()})
        visit.uow.commit()

        def work(report: Progress) -> str:
            done = collection.collect(engine, gateway_for, plan_id, day, now, progress=report)
            return f"{done.batches} batches, {done.members} members"

        _jobs(visit).start(r.id, work)
    return visit.redirect(f"/console/rounds/{r.id}#progress")


@router.post("/{round_id}/retry")
def retry(round_id: int, visit: FormVisit) -> Response:
    """Today's pass over the plan's failed debits (retried, or written off past the retry days),
    run beside the request like the debits: it commits batch by batch in its own transactions."""
    staff(visit, Role.OPERATOR)
    r = _round(visit, round_id)
    running = _jobs(visit).for_round(r.id)
    if running is None or running.finished:
        engine, gateway_for, now, plan_id = visit.uow.engine, _gateway(visit), visit.now, r.plan_id
        _audit(visit, "collection.retry", r, {"plan_id": plan_id})
        visit.uow.commit()

        def work(report: Progress) -> str:
            report("failed debits retried", 0, None)
            done = collection.retry(engine, gateway_for, plan_id, now)
            report("failed debits retried", done.retried_members, done.retried_members)
            return f"{done.retried_members} retried, {done.written_off_members} written off"

        _jobs(visit).start(r.id, work)
    return visit.redirect(f"/console/rounds/{r.id}#progress")


@router.post("/{round_id}/payouts")
def run_payouts(round_id: int, visit: FormVisit) -> Response:
    staff(visit, Role.OPERATOR)
    r = _round(visit, round_id)
    try:
        gateway = _gateway(visit)(visit.uow.conn)
        done = payouts.run_payouts(visit.uow, gateway, r.plan_id, r.announce_date, visit.now)
    except HuzhuError as e:
        return _round_page(visit, round_id, e.status, errors=refusal(visit, e))
    details = {"submitted": done.submitted, "retried": done.retried}
    _audit(visit, "payouts.run", r, details)
    visit.uow.commit()
    return visit.redirect(f"/console/rounds/{r.id}?paid={done.submitted + done.retried}")
