"""Fixtures of the console page tests: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from consolekit import NOW, Api, Browser, Clock, World, browser, build_world
from sqlalchemy import Engine


@pytest.fixture
def api(engine: Engine) -> Api:
    return Api(engine, Clock(NOW))


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


@pytest.fixture
def reviewer(world: World) -> Browser:
    return browser(world.api, world.reviewer)


@pytest.fixture
def operator(world: World) -> Browser:
    return browser(world.api, world.operator)


@pytest.fixture
def auditor(world: World) -> Browser:
    return browser(world.api, world.auditor)
