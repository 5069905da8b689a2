"""The live API fixture for the fuzz and bad-input tests (see live.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from api_fuzz.live import LiveApi, live_api
from huzhu.services.accounts import service as accounts


@pytest.fixture
def api(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveApi]:
    # argon2 at its real cost takes half a second per sign-in attempt; generated sign-ins only
    # need it to behave the same, so the fuzzed app hashes with the cheapest parameters.
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "HASHER", cheap)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", cheap.hash("huzhu-timing-equaliser"))
    yield live_api(engine)
