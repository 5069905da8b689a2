"""The FastAPI application: `create_app()` wires settings, the database and the routers."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine

from huzhu import __version__
from huzhu.api import capacity, docs_assets, openapi, openapi_security, problems
from huzhu.api.deps import SESSION_COOKIE
from huzhu.api.join import QuickPath
from huzhu.api.middleware import BodyGuard
from huzhu.api.observability import RequestLog, configure_logging
from huzhu.api.ratelimit import RateLimiter
from huzhu.api.routes import (
    admin,
    auth,
    claim_steps,
    claims,
    evidence,
    forecasts,
    health,
    identity_checks,
    inbox,
    juries,
    ledger,
    lifecycle,
    me,
    memberships,
    objections,
    plans,
    rounds,
)
from huzhu.api.routes import gateway as gateway_routes
from huzhu.api.security_headers import SecurityHeaders
from huzhu.api.sign_in_guard import KnownAddresses
from huzhu.gateways import default_name as default_gateway
from huzhu.services.members.quick_join import PlansInForce
from huzhu.services.messaging import outbox
from huzhu.services.messaging.webhooks import deliver_due
from huzhu.settings import Settings, install, load
from huzhu.storage.engine import check_schema, libpq_url, make_engine
from huzhu.storage.repositories.members.quick_join import QuickJoinRepository
from huzhu.web import BODIES as WEB_BODIES
from huzhu.web import install as install_web

log = logging.getLogger("huzhu.api")

DESCRIPTION = """
huzhu's API for host apps and the web portal.

**A mutual aid plan is not insurance; the payout is not guaranteed.**

Money is an integer number of fen with a currency. Errors are RFC 9457 problem+json with a stable
`type` per error. POSTs that create a membership or move money take an `Idempotency-Key` header.
Sign in with `POST /v1/auth/token` and send `Authorization: Bearer <token>`.
"""


def _webhook_loop(engine: Engine, settings: Settings, stop: threading.Event) -> None:
    limits = httpx.Limits(max_connections=settings.webhook_concurrency)
    with httpx.Client(timeout=settings.webhook_timeout_s, limits=limits) as client:
        while not stop.wait(2.0):
            try:
                deliver_due(
                    engine, client, datetime.now(UTC),
                    batch=settings.webhook_batch, concurrency=settings.webhook_concurrency,
                )  # fmt: skip
            except Exception:  # keep delivering; the next pass retries
                log.exception("webhook delivery pass failed")
            try:  # e-mail and SMS that did not leave when their transaction committed
                outbox.deliver_due(engine, datetime.now(UTC))
            except Exception:
                log.exception("outbox pass failed")


def create_app(
    settings: Settings | None = None,
    engine: Engine | None = None,
    *,
    deliver_webhooks: bool | None = None,
) -> FastAPI:
    """The API. Called with nothing (`uvicorn --factory huzhu.api.app:create_app`), it is the
    server: settings from the environment, its own engine, webhook delivery and the sandbox pump
    running. Given an engine (tests, benchmarks), it runs no background work unless asked.

    It never migrates: that is a deploy step (`huzhu migrate`). A database behind this code's
    migration stops it with `SchemaBehind`."""
    settings = install(settings or load())
    serving = engine is None
    if engine is None:
        engine = make_engine(settings.database_url)  # sized with the request slots (capacity)
        check_schema(engine)
    if deliver_webhooks is None:
        deliver_webhooks = serving

    @asynccontextmanager
    async def lifespan(served: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        worker = None
        if deliver_webhooks:
            worker = threading.Thread(
                target=_webhook_loop, args=(engine, settings, stop), daemon=True, name="webhooks"
            )
            worker.start()
        pump = None
        if deliver_webhooks and default_gateway(settings) == "sandbox":
            pump = threading.Thread(
                target=gateway_routes.pump_loop,
                args=(engine, settings, stop),
                daemon=True,
                name="gateway",
            )
            pump.start()
        yield
        stop.set()
        quick: QuickPath | None = served.state.quick_join
        if quick is not None:  # close this worker's connections
            await quick.batcher.close()
        if worker is not None:
            worker.join(timeout=10)
        if pump is not None:
            pump.join(timeout=10)

    app = FastAPI(
        title="huzhu",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # /docs is served offline by docs_assets; FastAPI's own pages load scripts from CDNs.
        docs_url=None,
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.settings = settings
    capacity.install(app)
    app.state.limiter = RateLimiter()
    app.state.known_addresses = KnownAddresses()
    app.state.clock = None  # tests set a clock; None means the wall clock
    app.state.quick_join = (
        QuickPath(QuickJoinRepository(libpq_url(engine)), PlansInForce(engine))
        if settings.quick_join and engine.dialect.name == "postgresql"
        else None
    )
    problems.install(app)
    openapi.install(app)
    for router in (auth.router, me.router, plans.router, memberships.router, claims.router,
                   rounds.router, ledger.router, admin.router, gateway_routes.router,
                   claim_steps.router, evidence.router, objections.router, juries.router,
                   inbox.router, forecasts.router, identity_checks.router,
                   lifecycle.router):  # fmt: skip
        app.include_router(router)
    app.include_router(health.router)
    install_web(app)
    uploads = (*evidence.UPLOADS, *WEB_BODIES)
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes, uploads=uploads)
    app.add_middleware(SecurityHeaders, session_cookie=SESSION_COOKIE)
    docs_assets.install(app)
    openapi_security.install(app)  # wraps the document openapi.install shaped
    app.add_middleware(RequestLog)  # outermost: sees every answer, the guard's too
    configure_logging(settings.log_format)
    if serving:
        # Everything loaded so far (routes, schemas, plan documents) lives as long as the process:
        # keep it out of the cyclic collector's full passes, which otherwise stall every request.
        gc.freeze()
    return app
