"""A round's run from the console, beside the request, with its stages polled by the page.

The run is the service the API and `huzhu rounds run` call (`services.rounds.service.run_round`)
in one transaction of its own, given a `Progress` callback. Whether a run may start is decided on
the plan's row: the job takes it without waiting (`try_hold_plan`), and the request answers only
once the job holds it or was refused, so a second start while one runs is a 409, whichever server
process it reaches. The job's stages live in the process that runs it.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import Engine

from huzhu.domain.access import Role
from huzhu.domain.errors import Conflict, HuzhuError, NotFound
from huzhu.domain.msgid import N_
from huzhu.services.events import record
from huzhu.services.plans.figures import Headcounts
from huzhu.services.progress import Progress
from huzhu.services.rounds.service import run_round
from huzhu.storage.uow import UnitOfWork
from huzhu.web.console import rounds
from huzhu.web.console.guard import ROUNDS, sections, staff
from huzhu.web.console.jobs import Job, Jobs
from huzhu.web.deps import Form, FormVisit, PageVisit, Visit
from huzhu.web.errors import HtmlRoute
from huzhu.web.forms import refusal

router = APIRouter(prefix="/console/rounds", route_class=HtmlRoute, include_in_schema=False)
HELD = "plan held"
DECIDE_SECONDS = 30.0  # a start never waits longer for its job to hold the plan or be refused
STAGES = {  # the run's stages (services.rounds.service), worded for the page
    "starting": N_("Starting"),
    HELD: N_("Plan held"),
    "claims taken": N_("Claims taken into the round"),
    "charges written": N_("Members charged"),
    "transaction posted": N_("Round transaction posted"),
    "public record written": N_("Public record written"),
}


class _Run:
    """What the request and its job tell each other: held (or refused), and the job's id. A
    refusal after the plan is held (a round not due yet) is the job's, shown on its page."""

    def __init__(self) -> None:
        self.decided = threading.Event()
        self.named = threading.Event()
        self.error: HuzhuError | None = None
        self.job: Job | None = None


def _jobs(visit: Visit) -> Jobs:
    jobs: Jobs = visit.request.app.state.console_jobs
    return jobs


def _work(
    engine: Engine, run: _Run, actor: int, plan_id: str, day: date, now: datetime,
    kept: Headcounts,
) -> Any:  # fmt: skip
    def work(report: Progress) -> str:
        def told(stage: str, done: int, total: int | None) -> None:
            report(stage, done, total)
            if stage == HELD and done == total:
                run.decided.set()

        try:
            with UnitOfWork(engine) as uow:
                if not uow.rounds.try_hold_plan(plan_id):
                    raise Conflict(
                        f"a round of {plan_id} is running", code="round-running", field="date"
                    )
                outcome = run_round(uow, plan_id, day, now, progress=told)
                r = outcome.round
                if outcome.created:  # the same audit entry as the API's run
                    details = {"plan_id": plan_id, "announce_date": day.isoformat(),
                               "round_id": r.id}  # fmt: skip
                    record(uow, actor, "round.run", f"round:{r.id}", details, now)
                uow.commit()
            kept.forget("home:")  # the home page's cards show each plan's last round
        except HuzhuError as e:
            if not run.decided.is_set():  # refused before it held the plan: the start says so
                run.error = e
            raise
        finally:
            run.decided.set()
        run.named.wait(DECIDE_SECONDS)
        if run.job is not None:
            run.job.round_id = r.id
        return f"{r.figures.members} members, {r.figures.cases} cases"

    return work


@router.post("/run")
def start(visit: FormVisit, form: Form) -> Response:
    principal = staff(visit, Role.OPERATOR)
    try:
        plan_id, day = rounds.asked(form)
        key = f"run:{plan_id}:{day.isoformat()}"
        running = _jobs(visit).for_key(key)
        if running is not None and not running.finished:
            raise Conflict("this round is running", code="round-running", field="date")
        run = _Run()
        work = _work(
            visit.uow.engine, run, principal.account_id, plan_id, day, visit.now,
            visit.headcounts,
        )  # fmt: skip
        visit.uow.commit()  # nothing of this request's may stand in the job's way
        run.job = _jobs(visit).start(None, work, key=key)
        run.named.set()
        run.decided.wait(DECIDE_SECONDS)
        if run.error is not None:
            raise run.error
    except HuzhuError as e:
        return rounds.page(visit, e.status, errors=refusal(visit, e))
    return visit.redirect(f"/console/rounds/runs/{run.job.id}")


def _job(visit: Visit, job_id: str) -> Job:
    job = _jobs(visit).get(job_id) if len(job_id) < 40 else None
    if job is None or not job.key.startswith("run:"):
        raise NotFound("no such run (runs are shown by the server that ran them)",
                       code="unknown-run", field="run")  # fmt: skip
    return job


def _view(visit: Visit, job: Job) -> dict[str, Any]:
    body = job.view()
    body["stage_text"] = visit._(STAGES[job.stage]) if job.stage in STAGES else job.stage
    body["stages_text"] = [visit._(STAGES[s]) if s in STAGES else s for s in job.stages]
    return body


@router.get("/runs/{job_id}", response_class=HTMLResponse)
def watch(job_id: str, visit: PageVisit) -> HTMLResponse:
    principal = staff(visit, *ROUNDS)
    job = _job(visit, job_id)
    r = visit.uow.rounds.get(job.round_id) if job.round_id is not None else None
    _, plan_id, day = job.key.split(":", 2)
    return visit.page(
        "console/rounds/run.html", nav=sections(principal), job=_view(visit, job), r=r,
        plan_id=plan_id, day=day,
    )  # fmt: skip


@router.get("/runs/{job_id}/progress.json")
def progress(job_id: str, visit: PageVisit) -> JSONResponse:
    staff(visit, *ROUNDS)
    body = _view(visit, _job(visit, job_id))
    return JSONResponse(body, headers={"Cache-Control": "private, no-store"})
