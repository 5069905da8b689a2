"""Joining a plan over HTTP: the general path, and PostgreSQL's one-statement path.

A host app at the scale of Xiang Hu Bao sends thousands of joins a second, nearly all of them a new
person joining for themselves. On PostgreSQL that case is decided in Python (services.quick_join)
and written in one statement (storage.repositories.quick_join). Every other case, and every refusal,
takes the general path, so the answers and errors are the same whichever path runs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from huzhu import gateways, metrics
from huzhu.api.capacity import db_slot
from huzhu.api.deps import (
    SESSION_COOKIE,
    current_principal,
    get_now,
    optional_principal,
    session_token,
)
from huzhu.api.idempotency import KEY, request_hash, run_once
from huzhu.api.routes.me import details
from huzhu.api.schemas_memberships import EligibilityOut, JoinIn, JoinOut
from huzhu.api.settings import Settings
from huzhu.api.views import membership_out, membership_view
from huzhu.domain.errors import NotFound
from huzhu.domain.plan_fields import local_date
from huzhu.services.accounts.service import digest
from huzhu.services.members import identity, joining, quick_join
from huzhu.services.members.joining import SandboxCredit
from huzhu.storage.batcher import Batcher
from huzhu.storage.repositories.members.quick_join import Joined, QuickJoin, QuickJoinRepository
from huzhu.storage.uow import UnitOfWork

log = logging.getLogger("huzhu.api.join")
SCOPE = "join"


class QuickPath:
    """What the one-statement join keeps per process: the plans in force, and the batcher that
    groups concurrent joins into one statement."""

    def __init__(self, repository: QuickJoinRepository, plans: quick_join.PlansInForce) -> None:
        async def join_many(
            conn: psycopg.AsyncConnection[Any], orders: Sequence[QuickJoin]
        ) -> Sequence[Joined | None]:
            metrics.JOIN_BATCH.observe(len(orders))
            return await repository.join_many(conn, orders)

        self.batcher: Batcher[psycopg.AsyncConnection[Any], QuickJoin, Joined | None] = Batcher(
            join_many,
            repository.connect,
            repository.close,
            max_batch=64,
            flushes=2,
            name="quick-join",
        )
        self.plans = plans
        # How many joins each path wrote: the operator's check that the common case is quick.
        self.quick = 0
        self.general = 0


def _client(request: Request) -> str:
    """Joins are limited per client session (the digest of its bearer token or cookie)."""
    token, _ = session_token(request)
    return digest(token) if token else "anonymous"


async def join(request: Request, body: JoinIn, key: str | None) -> JSONResponse:
    now = get_now(request)
    settings: Settings = request.app.state.settings
    request.app.state.limiter.hit(settings.join_limit, "join", _client(request))
    quick: QuickPath | None = request.app.state.quick_join
    if quick is not None:
        answer = await _try_quick(quick, request, body, key, now)
        if answer is not None:
            quick.quick += 1
            metrics.JOINS.labels("quick").inc()
            return answer
        quick.general += 1
    metrics.JOINS.labels("general").inc()
    async with db_slot(request.app):
        return await run_in_threadpool(_general, request, body, key, now)


def _bearer(request: Request) -> str | None:
    """The bearer token, when that is how the caller signs in (cookies need the CSRF check)."""
    token, from_cookie = session_token(request)
    return None if from_cookie or SESSION_COOKIE in request.cookies else token


async def _try_quick(
    quick: QuickPath, request: Request, body: JoinIn, key: str | None, now: datetime
) -> JSONResponse | None:
    token = _bearer(request)
    if token is None or body.person is None or body.dependant_id is not None:
        return None
    if key is None or not KEY.match(key):
        return None
    settings: Settings = request.app.state.settings
    today = local_date(now)
    plan = quick.plans.cached(body.plan_id, today)
    if plan is None:
        try:
            plan = await run_in_threadpool(quick.plans.get, body.plan_id, today)
        except NotFound:
            return None
    decided = quick_join.decide(
        plan,
        details(body.person),
        body.health_answers,
        SandboxCredit(settings.sandbox_credit_score),
        now,
    )
    if decided is None:
        return None
    m = decided.membership
    answer = JoinOut(
        membership=membership_view(m, plan, today, 0),
        eligibility=EligibilityOut(eligible=True, failed_rules=[]),
    ).model_dump(mode="json")
    order = QuickJoin(
        token_hash=digest(token),
        key=key,
        request_hash=request_hash(SCOPE, body),
        plan_id=plan.id,
        plan_version=plan.version,
        today=today,
        now=now,
        person=decided.person,
        lifecycle=m.lifecycle.value,
        exit_on=m.exit_on,
        answer=answer,
    )
    try:
        joined = await quick.batcher.submit(order)
    except Exception:  # logged by the batcher; the general path may still answer
        return None
    if joined is None:  # a newer plan version is caught too: the cache lives 5 s
        return None
    answer["membership"]["id"] = joined.membership_id
    answer["membership"]["person_id"] = joined.person_id
    return JSONResponse(answer, status_code=201)


def _general(request: Request, body: JoinIn, key: str | None, now: datetime) -> JSONResponse:
    settings: Settings = request.app.state.settings
    with UnitOfWork(request.app.state.engine) as uow:
        principal = current_principal(optional_principal(request, uow, now))
        if body.person is not None and identity.hold_if_on_file(
            uow, principal, details(body.person), now
        ):
            uow.commit()  # the held identity stays; the join is refused
            raise identity.held()

        def work() -> tuple[int, object]:
            m = joining.join_as(
                uow,
                principal,
                body.plan_id,
                body.health_answers,
                now,
                SandboxCredit(settings.sandbox_credit_score),
                person=details(body.person) if body.person is not None else None,
                dependant_id=body.dependant_id,
                # A prepaid plan's deposit is asked under the request's Idempotency-Key.
                deposit_key=f"api:{principal.account_id}:{key}" if key else None,
                gateway=gateways.factory()(uow.conn),
            )
            out = JoinOut(
                membership=membership_out(uow, m, local_date(now)),
                eligibility=EligibilityOut(eligible=True, failed_rules=[]),
            )
            return 201, out.model_dump(mode="json")

        return run_once(uow, principal, key, SCOPE, body, now, work)
