"""Fixtures of the web page tests. Every test that uses `web` runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
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


CHROMIUM = "/usr/bin/chromium"  # Debian's package: Playwright's own download cannot work here


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Playwright for every browser test under tests/web: a second sync Playwright cannot
    start while this one's event loop runs."""
    assert Path(CHROMIUM).exists(), f"install Debian's chromium package: {CHROMIUM} is missing"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()
