"""The operator console at `/console`: claims, rounds, members, dashboards and checks for the
staff roles (reviewer, operator, auditor). Every page checks the role on the server, and every
action calls the service the API and the CLI call."""

from __future__ import annotations

from fastapi import APIRouter

from huzhu.web.console import (
    checks,
    claims,
    dashboard,
    home,
    members,
    money,
    plans,
    round_runs,
    rounds,
)

ROUTERS: tuple[APIRouter, ...] = (
    home.router,
    dashboard.router,
    claims.router,
    rounds.router,
    round_runs.router,
    money.router,
    plans.router,
    members.router,
    checks.router,
)
