"""Webhook delivery never holds the database (issue 15): a host app that never answers must not
stop joins and sign-ups (on SQLite a pass that posted inside its transaction made a concurrent
registration fail with `database is locked`). Also: several signatures during a secret rotation.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import httpx
import jwt
import pytest
from apikit import PLAN, Api, Clock, User, real_now
from sqlalchemy import Engine
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from huzhu.services.messaging.webhooks import (
    LEASE,
    ROTATION_OVERLAP,
    deliver_due,
    headers,
    take_due,
)


@pytest.fixture
def silent() -> Iterator[socket.socket]:
    """A host app that takes connections (the kernel completes them) and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    try:
        yield server
    finally:
        server.close()


def host_user(api: Api, app: str, secret: str) -> User:
    now = int(time.time())
    claims = {"sub": uuid.uuid4().hex[:12], "aud": "huzhu", "iat": now, "exp": now + 300,
              "jti": uuid.uuid4().hex}  # fmt: skip
    token = jwt.encode(claims, secret, algorithm="HS256")
    r = api.post("/v1/auth/host-assertion", json={"app": app, "assertion": token})
    assert r.status_code == 200, r.text
    return api.identity(User(claims["sub"], r.json()["account_id"], r.json()["access_token"]))


def register_app(api: Api, operator: User, name: str, url: str) -> dict[str, str]:
    r = api.post("/v1/host-apps", operator, json={"name": name, "webhook_url": url})
    assert r.status_code == 201, r.text
    app: dict[str, str] = r.json()
    return app


def test_a_host_that_never_answers_stops_no_join_or_sign_up(
    engine: Engine, silent: socket.socket
) -> None:
    api = Api(engine, Clock(real_now()))
    operator = api.account("operator", "operator")
    port = silent.getsockname()[1]
    app = register_app(api, operator, "silent", f"http://127.0.0.1:{port}/events")
    for _ in range(4):
        api.joined(host_user(api, "silent", app["assertion_secret"]), PLAN)
    assert api.count("webhook_events") == 4

    # The pass would wait a minute for each answer; it is ended below by closing the host.
    results: list[int | BaseException] = []

    def deliver() -> None:
        try:
            with httpx.Client(timeout=60) as client:
                results.append(deliver_due(engine, client, api.clock()))
        except BaseException as e:  # reported below
            results.append(e)

    worker = threading.Thread(target=deliver, name="webhooks")
    worker.start()
    # Sending has begun once the host holds a connection.
    silent.settimeout(30)
    held = [silent.accept()[0]]

    # Meanwhile people sign up and join, and host-app members join (queuing more webhooks).
    r = api.post(
        "/v1/accounts", json={"username": "wuxiaoman", "password": "correct horse battery"}
    )
    assert r.status_code == 201, r.text
    api.joined(api.member("another"), "meituan-huzhu")
    api.joined(host_user(api, "silent", app["assertion_secret"]), PLAN)
    # All of that finished while the pass was still waiting on the host.
    assert worker.is_alive()
    # and the four were sent at once, not one after another
    held += [silent.accept()[0] for _ in range(3)]

    for conn in held:
        conn.close()
    worker.join(timeout=30)
    assert results == [0]
    rows = api.rows("SELECT attempt, status_code, error FROM webhook_deliveries")
    assert len(rows) == 4 and all(r.attempt == 1 and r.error for r in rows)
    # the event queued during the pass was not taken by it, and waits for the next
    assert api.count("webhook_events", "attempts = 0") == 1


def test_taken_events_are_leased_so_two_senders_never_send_one_twice(engine: Engine) -> None:
    api = Api(engine, Clock(real_now()))
    operator = api.account("operator", "operator")
    app = register_app(api, operator, "alipay", "http://127.0.0.1:9/unused")
    for _ in range(3):
        api.joined(host_user(api, "alipay", app["assertion_secret"]), PLAN)
    now = api.clock()
    first = take_due(engine, now, 2)
    second = take_due(engine, now, 10)
    assert len(first) == 2 and len(second) == 1
    assert {o.event_id for o in first}.isdisjoint(o.event_id for o in second)
    assert take_due(engine, now, 10) == []
    # a sender that died: its events come back once the lease is over
    again = take_due(engine, now + LEASE + timedelta(seconds=1), 10)
    assert {o.event_id for o in again} == {o.event_id for o in first + second}
    assert all(o.attempt == 1 for o in again)


def test_during_a_rotation_events_carry_both_signatures(engine: Engine) -> None:
    api = Api(engine, Clock(real_now()))
    operator = api.account("operator", "operator")
    app = register_app(api, operator, "alipay", "http://127.0.0.1:9/unused")
    old = app["webhook_secret"]
    rotated = api.post(f"/v1/host-apps/{app['id']}/webhook-secret", operator)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["webhook_secret"]
    assert new.startswith("whsec_") and new != old
    api.joined(host_user(api, "alipay", app["assertion_secret"]), PLAN)

    (item,) = take_due(engine, api.clock(), 10)
    sent = headers(item.secrets, str(item.event_id), real_now(), item.body)
    assert len(sent["webhook-signature"].split(" ")) == 2
    for secret in (old, new):  # the host app accepts it with either secret
        assert Webhook(secret).verify(item.body, sent)["id"] == item.event_id

    # a day later only the new secret signs
    later = api.clock() + ROTATION_OVERLAP + LEASE + timedelta(minutes=1)
    (item,) = take_due(engine, later, 10)
    sent = headers(item.secrets, str(item.event_id), real_now(), item.body)
    assert len(sent["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(item.body, sent)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(item.body, sent)


def test_only_operators_rotate(engine: Engine) -> None:
    api = Api(engine, Clock(real_now()))
    operator = api.account("operator", "operator")
    auditor = api.account("auditor", "auditor")
    app = register_app(api, operator, "alipay", "http://127.0.0.1:9/unused")
    assert api.post(f"/v1/host-apps/{app['id']}/webhook-secret", auditor).status_code == 403
    assert api.post("/v1/host-apps/999/webhook-secret", operator).status_code == 404
