"""Fixtures of the web page tests. Every test that uses `web` runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from webkit import NOW, Api, Clock, Web, World, build_world


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def api(engine: Engine, clock: Clock) -> Api:
    return Api(engine, clock)


@pytest.fixture
def web(api: Api) -> Web:
    return Web(api)


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)
