"""The FastAPI application: `create_app()` wires settings, the database and the routers."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine

from huzhu import __version__
from huzhu.api import problems
from huzhu.api.join import QuickPath
from huzhu.api.middleware import BodyGuard
from huzhu.api.ratelimit import RateLimiter
from huzhu.api.routes import (
    admin,
    auth,
    claim_steps,
    claims,
    evidence,
    inbox,
    juries,
    ledger,
    me,
    memberships,
    objections,
    plans,
    rounds,
)
from huzhu.api.routes import gateway as gateway_routes
from huzhu.api.settings import Settings
from huzhu.gateways import default_name as default_gateway
from huzhu.services.quick_join import PlansInForce
from huzhu.services.webhooks import deliver_due
from huzhu.storage.engine import libpq_url, make_engine, migrate
from huzhu.storage.repositories.quick_join import QuickJoinRepository
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
    with httpx.Client(timeout=settings.webhook_timeout_s) as client:
        while not stop.wait(2.0):
            try:
                deliver_due(engine, client, datetime.now(UTC))
            except Exception:  # keep delivering; the next pass retries
                log.exception("webhook delivery pass failed")


def create_app(
    settings: Settings | None = None,
    engine: Engine | None = None,
    *,
    deliver_webhooks: bool = False,
) -> FastAPI:
    settings = settings or Settings.from_env()
    if engine is None:
        engine = (
            make_engine(settings.database_url, pool_size=20, max_overflow=20)
            if (settings.database_url or "").startswith("postgres")
            else make_engine(settings.database_url)
        )
        migrate(engine)

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
        if deliver_webhooks and default_gateway() == "sandbox":
            pump = threading.Thread(
                target=gateway_routes.pump_loop, args=(engine, stop), daemon=True, name="gateway"
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
    )
    app.state.engine = engine
    app.state.settings = settings
    app.state.limiter = RateLimiter()
    app.state.clock = None  # tests set a clock; None means the wall clock
    app.state.quick_join = (
        QuickPath(QuickJoinRepository(libpq_url(engine)), PlansInForce(engine))
        if settings.quick_join and engine.dialect.name == "postgresql"
        else None
    )
    problems.install(app)
    for router in (auth.router, me.router, plans.router, memberships.router, claims.router,
                   rounds.router, ledger.router, admin.router, gateway_routes.router,
                   claim_steps.router, evidence.router, objections.router, juries.router,
                   inbox.router):  # fmt: skip
        app.include_router(router)
    install_web(app)
    uploads = (*evidence.UPLOADS, *WEB_BODIES)
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes, uploads=uploads)
    return app
