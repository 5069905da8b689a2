"""Health, metrics, logs (issue 15): /livez, /readyz, Prometheus metrics, a log line per request
with a request id (also in a header and in problems' `instance`), 429s that say when to retry."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from apikit import PLAN, TTL, Api, Clock, frozen_limits, problem
from prometheus_client import REGISTRY
from sqlalchemy import Engine, text

from huzhu.api.observability import JsonFormatter
from huzhu.settings import Settings
from huzhu.storage.engine import make_engine, migrate


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def requests_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    logger = logging.getLogger("huzhu.requests")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="huzhu.requests")
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)


def test_live_and_ready(engine: Engine, clock: Clock) -> None:
    api = Api(engine, clock)
    assert api.get("/livez").json() == {"status": "ok"}
    assert api.get("/readyz").json() == {"status": "ok"}


def test_not_ready_when_the_schema_is_behind(tmp_path: Path, clock: Clock) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'behind.db'}")
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0007'"))
    api = Api(engine, clock)
    assert api.get("/livez").status_code == 200
    body = problem(api.get("/readyz"), 503, "not-ready")
    assert "huzhu migrate" in body["detail"]


def test_each_request_has_an_id_a_log_line_and_no_personal_data(
    engine: Engine, clock: Clock, requests_log: pytest.LogCaptureFixture
) -> None:
    api = Api(engine, clock)
    user = api.member("wuxiaoman", plan=None, name="吴小漫")
    joined = api.join(user, PLAN)
    assert joined.status_code == 201
    assert len(joined.headers["x-request-id"]) >= 8
    given = api.get("/v1/plans/no-such-plan", headers={"X-Request-Id": "trace-0123456789"})
    assert given.headers["x-request-id"] == "trace-0123456789"
    assert given.json()["instance"] == "urn:huzhu:request:trace-0123456789"
    bad = api.get("/v1/plans/no-such-plan", headers={"X-Request-Id": "bad id;"})
    assert bad.headers["x-request-id"] != "bad id;"

    lines = [r for r in requests_log.records if r.name == "huzhu.requests"]
    by_id = {getattr(r, "request_id", None): r for r in lines}
    record = by_id["trace-0123456789"]
    doc = json.loads(JsonFormatter().format(record))
    assert doc["route"] == "/v1/plans/{plan_id}" and doc["status"] == 404
    assert doc["request_id"] == "trace-0123456789" and doc["duration_ms"] >= 0
    join_line = by_id[joined.headers["x-request-id"]]
    assert join_line.route == "/v1/memberships"  # type: ignore[attr-defined]
    everything = "\n".join(JsonFormatter().format(r) for r in lines)
    assert "吴小漫" not in everything and "no-such-plan" not in everything
    for person in api.rows("SELECT id_number FROM people"):
        assert person.id_number not in everything


def test_metrics(engine: Engine, clock: Clock) -> None:
    api = Api(engine, clock)
    before = {p: sample("huzhu_joins_total", path=p) for p in ("quick", "general")}
    user = api.member("wuxiaoman", plan=None)  # an identity on file: the general path
    assert api.join(user, PLAN).status_code == 201
    text_ = api.get("/metrics").text
    assert sample("huzhu_joins_total", path="general") == before["general"] + 1
    assert sample("huzhu_joins_total", path="quick") == before["quick"]
    assert (
        'huzhu_http_request_duration_seconds_count{method="POST",route="/v1/memberships"' in text_
    )
    assert "huzhu_webhook_backlog 0.0" in text_
    for name in ("huzhu_round_duration_seconds", "huzhu_gateway_callbacks_total",
                 "huzhu_webhook_deliveries_total", "huzhu_join_batch_size"):  # fmt: skip
        assert f"# TYPE {name}" in text_


def test_metrics_can_want_a_token(engine: Engine, clock: Clock) -> None:
    api = Api(engine, clock, Settings(metrics_token="s3cret-token"))
    problem(api.get("/metrics"), 401, "metrics-token-required")
    ok = api.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200 and "huzhu_" in ok.text


def test_a_429_says_when_to_retry(engine: Engine, clock: Clock) -> None:
    limited = Settings(join_limit="2/minute", session_ttl_minutes=TTL // timedelta(minutes=1))
    api = frozen_limits(Api(engine, clock, limited))
    alice = api.member("alice", plan=None)
    assert api.join(alice, PLAN).status_code == 201
    assert api.join(alice, "meituan-huzhu").status_code == 201
    refused = api.join(alice, "xiaomi-huzhu")
    problem(refused, 429, "rate-limited")
    retry = int(refused.headers["retry-after"])
    assert 1 <= retry <= 61
    assert refused.headers["ratelimit-policy"] == '"default";q=2;w=60'
    assert refused.headers["ratelimit"] == f'"default";r=0;t={retry}'
    assert refused.headers["ratelimit-limit"] == "2"
    assert refused.headers["ratelimit-remaining"] == "0"
