"""The member portal and the public pages, one router per page group."""

from __future__ import annotations

from fastapi import APIRouter

from huzhu.web.portal import (
    account,
    claims,
    inbox,
    join,
    jury,
    memberships,
    plans,
    rounds,
    statement,
)

ROUTERS: tuple[APIRouter, ...] = (
    plans.router,
    rounds.router,
    account.router,
    join.router,
    memberships.router,
    statement.router,
    claims.router,
    jury.router,
    inbox.router,
)
