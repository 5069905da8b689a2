"""Operations endpoints: liveness, readiness and Prometheus metrics.

- `/livez`: the process answers (no database call, so a slow database restarts nothing).
- `/readyz`: the database answers and its schema is at this code's migration; 503 otherwise, so a
  load balancer sends no traffic to a server whose database is not ready.
- `/metrics`: Prometheus text; behind `HUZHU_METRICS_TOKEN` (a bearer token) when that is set.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine

from huzhu import metrics
from huzhu.api.deps import Now
from huzhu.api.problems import problem
from huzhu.storage.engine import schema_is_current
from huzhu.storage.uow import UnitOfWork

router = APIRouter(tags=["operations"])
PLAIN: dict[int | str, dict[str, Any]] = {
    503: {"description": "Not ready", "content": {"application/problem+json": {}}}
}


@router.get("/livez")
def livez() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


def _ready(engine: Engine) -> str | None:
    try:
        if not schema_is_current(engine):
            return "the database schema is not at this server's migration; run `huzhu migrate`"
    except Exception as e:  # any failure to reach the database means not ready
        return f"the database does not answer ({type(e).__name__})"
    return None


@router.get("/readyz", responses=PLAIN)
async def readyz(request: Request) -> JSONResponse:
    """The database answers and its schema is current."""
    trouble = await run_in_threadpool(_ready, request.app.state.engine)
    if trouble is not None:
        return problem(503, "not-ready", trouble)
    return JSONResponse({"status": "ok"})


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def prometheus(request: Request, now: Now) -> Response:
    """Prometheus metrics of this process."""
    token = request.app.state.settings.metrics_token
    if token:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return problem(401, "metrics-token-required", "send the metrics token as a bearer")
    engine: Engine = request.app.state.engine

    def backlog() -> int:
        with UnitOfWork(engine) as uow:
            return uow.webhooks.backlog(now)

    metrics.WEBHOOK_BACKLOG.set(await run_in_threadpool(backlog))
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
