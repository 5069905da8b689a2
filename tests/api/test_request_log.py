"""The server logs each request in one line (or one JSON object), with no personal data."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest
from apikit import Api

from huzhu.api import request_log

NAME, ID_NUMBER = "吴小漫", "110105199005170011"


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.INFO, logger="huzhu.request")
    request_log.logger.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        request_log.logger.removeHandler(caplog.handler)


def test_each_request_is_one_line_with_its_route_not_its_data(
    api: Api, log: pytest.LogCaptureFixture
) -> None:
    alice = api.member("alice", name=NAME)
    api.get("/v1/plans/xiang-hu-bao")
    api.get(f"/v1/plans/{ID_NUMBER}?name={NAME}")  # personal data in a path and a query
    api.get("/v1/memberships", alice)
    lines = log.messages
    requests = [m for m in lines if " /v1/" in m]
    assert any(re.fullmatch(r"\S+Z GET /v1/plans/\{plan_id\} 200 [\d.]+ms", m) for m in requests)
    assert any(re.fullmatch(r"\S+Z GET /v1/plans/\{plan_id\} 404 [\d.]+ms", m) for m in requests)
    assert any(m.split()[1:4] == ["GET", "/v1/memberships", "200"] for m in requests)
    everything = "\n".join(lines)
    assert NAME not in everything and ID_NUMBER not in everything
    assert "alice" not in everything and "Bearer" not in everything


def test_json_lines_when_asked(api: Api) -> None:
    for m in api.app.user_middleware:
        if m.cls is request_log.RequestLog:
            break
    else:
        raise AssertionError("create_app does not install the request log")
    logged = request_log.render(
        {"at": "2026-12-07T02:52:01Z", "event": "request", "method": "GET",
         "route": "/v1/plans/{plan_id}", "status": 200, "duration_ms": 3.1},
        "json",
    )  # fmt: skip
    assert json.loads(logged)["route"] == "/v1/plans/{plan_id}"


def test_the_format_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUZHU_LOG_FORMAT", "json")
    assert request_log.log_format() == "json"
    monkeypatch.delenv("HUZHU_LOG_FORMAT")
    assert request_log.log_format() == "text"
