"""Fixtures of the HTTP API tests. Every test that uses `api` runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from apikit import NOW, Api, Clock, World, build_world
from sqlalchemy import Engine


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def api(engine: Engine, clock: Clock) -> Api:
    return Api(engine, clock)


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)
