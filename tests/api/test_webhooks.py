"""Webhooks for host apps (issue 3, "Webhooks for host apps"): signed events for joining, leaving,
claim decisions and charges; failed deliveries retried with backoff; every attempt logged.
Signatures are Standard Webhooks (issue 15), checked here with the `standardwebhooks` package."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from apikit import PLAN, Api, Clock, User, real_now
from sqlalchemy import Engine
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from huzhu.domain.plan_fields import CHINA_TZ
from huzhu.services.messaging.webhooks import BACKOFF, deliver_due

# --- a host app's receiving end -------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def doc(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    url: str = ""
    status: int = 200
    requests: list[Received] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/huzhu-events"
    thread = threading.Thread(target=server.serve_forever, name="receiver", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- a host app registered with huzhu -------------------------------------------------------


@dataclass
class Host:
    api: Api
    operator: User
    reviewer: User
    id: int
    assertion_secret: str
    webhook_secret: str

    def user(self, sub: str, **person: Any) -> User:
        """A host-app user signed in by assertion, with an identity."""
        now = int(time.time())
        token = jwt.encode(
            {"sub": sub, "aud": "huzhu", "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex},
            self.assertion_secret,
            algorithm="HS256",
        )
        r = self.api.post("/v1/auth/host-assertion", json={"app": "alipay", "assertion": token})
        assert r.status_code == 200, r.text
        user = User(sub, r.json()["account_id"], r.json()["access_token"])
        return self.api.identity(user, **person)

    def events(self, type_: str | None = None) -> list[dict[str, Any]]:
        r = self.api.get(f"/v1/webhook-events?host_app_id={self.id}&limit=200", self.operator)
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()["items"]
        return [e for e in items if type_ is None or e["type"] == type_]

    def deliver(self, at: datetime | None = None) -> int:
        with httpx.Client(timeout=5) as client:
            return deliver_due(self.api.engine, client, at or self.api.clock())


@pytest.fixture
def host(engine: Engine, receiver: Receiver) -> Host:
    # Assertions are checked against the wall clock, so this app starts on the real time.
    api = Api(engine, Clock(real_now()))
    operator = api.account("operator", "operator")
    reviewer = api.account("reviewer", "reviewer")
    r = api.post("/v1/host-apps", operator, json={"name": "alipay", "webhook_url": receiver.url})
    assert r.status_code == 201, r.text
    app = r.json()
    return Host(api, operator, reviewer, app["id"], app["assertion_secret"], app["webhook_secret"])


def verified(secret: str, got: Received) -> bool:
    """The host app's check, by the Standard Webhooks reference library."""
    try:
        Webhook(secret).verify(got.body, got.headers)
    except WebhookVerificationError:
        return False
    return True


def documented_signature(secret: str, got: Received) -> str:
    """`v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">` keyed by the
    base64-decoded part of `whsec_…`, computed here independently of any library."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{got.headers['webhook-id']}.{got.headers['webhook-timestamp']}.".encode() + got.body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def next_round_day(after: datetime, days: tuple[int, ...]) -> date:
    """The first announcement date whose lock (00:00 Beijing) is after `after`."""
    day = after.astimezone(CHINA_TZ).date() + timedelta(days=1)
    while day.day not in days:
        day += timedelta(days=1)
    return day


def lock_passed(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=CHINA_TZ)


# --- member events --------------------------------------------------------------------------


def test_member_and_claim_events_are_signed_and_delivered(host: Host, receiver: Receiver) -> None:
    api = host.api
    u = host.user("2088-0001")
    m = api.joined(u, PLAN)
    m2 = api.joined(u, "meituan-huzhu")
    assert api.post(f"/v1/memberships/{m2}/leave", u).status_code == 200
    claim = api.claim(u, m)
    assert api.post(f"/v1/claims/{claim}/approve", host.reviewer).status_code == 200
    # a member who signed up with a password has no host app to tell
    plain = api.member("plain", plan="meituan-huzhu")
    assert api.post(f"/v1/memberships/{plain.memberships['meituan-huzhu']}/leave", plain)

    events = host.events()
    assert [e["type"] for e in events] == [
        "member.joined",
        "member.joined",
        "member.left",
        "claim.status_changed",
        "claim.status_changed",
    ]
    assert all(e["payload"]["external_user_id"] == "2088-0001" for e in events)
    assert [e["payload"]["membership_id"] for e in events[:3]] == [m, m2, m2]
    assert events[2]["payload"]["reason"] == "voluntary"
    assert [(e["payload"]["claim_id"], e["payload"]["state"]) for e in events[3:]] == [
        (claim, "submitted"),
        (claim, "approved"),
    ]
    assert all(e["attempts"] == 0 and e["delivered_at"] is None for e in events)
    assert api.count("webhook_events") == 5  # nothing for the password member

    now = api.clock()
    assert host.deliver(now) == 5
    assert len(receiver.requests) == 5
    assert host.webhook_secret.startswith("whsec_")
    got_in_order = sorted(receiver.requests, key=lambda r: int(r.headers["webhook-id"]))
    for event, got in zip(events, got_in_order, strict=True):
        assert got.path == "/huzhu-events"
        assert got.headers["content-type"] == "application/json"
        assert got.headers["webhook-id"] == str(event["id"])
        # signed when sent, not when the pass began
        assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 60
        assert verified(host.webhook_secret, got)
        assert documented_signature(host.webhook_secret, got) == got.headers["webhook-signature"]
        assert got.doc["id"] == event["id"]
        assert got.doc["type"] == event["type"]
        assert got.doc["data"] == event["payload"]
        # the check is real: another secret, another body or an old timestamp fail
        other = "whsec_" + base64.b64encode(host.assertion_secret.encode()).decode()
        assert not verified(other, got)
        assert not verified(host.webhook_secret, Received(got.path, got.headers, got.body + b" "))
        stale = got.headers | {"webhook-timestamp": str(int(time.time()) - 3600)}
        assert not verified(host.webhook_secret, Received(got.path, stale, got.body))
    delivered = host.events()
    assert all(e["attempts"] == 1 and e["delivered_at"] is not None for e in delivered)
    assert all(e["failed_at"] is None for e in delivered)
    rows = api.rows("SELECT status_code, attempt FROM webhook_deliveries ORDER BY id")
    assert [(r.status_code, r.attempt) for r in rows] == [(200, 1)] * 5
    # delivered events are not sent again
    assert host.deliver(now + timedelta(days=2)) == 0
    assert len(receiver.requests) == 5


def _event_row(api: Api, event_id: int) -> Any:
    (row,) = api.rows(
        "SELECT attempts, next_attempt_at, delivered_at, failed_at FROM webhook_events "
        "WHERE id = :i",
        i=event_id,
    )
    return row


def test_a_failing_receiver_is_retried_with_backoff_then_given_up(
    host: Host, receiver: Receiver
) -> None:
    api = host.api
    u = host.user("2088-0002")
    api.joined(u, PLAN)
    (event,) = host.events()
    receiver.status = 500
    at = api.clock()
    for attempt, wait in enumerate((*BACKOFF, None), start=1):
        assert host.deliver(at) == 0
        assert len(receiver.requests) == attempt
        row = _event_row(api, event["id"])
        assert row.attempts == attempt
        assert row.delivered_at is None
        deliveries = api.rows(
            "SELECT attempt, status_code, error FROM webhook_deliveries WHERE event_id = :i "
            "ORDER BY attempt",
            i=event["id"],
        )
        assert [(d.attempt, d.status_code, d.error) for d in deliveries] == [
            (n, 500, "HTTP 500") for n in range(1, attempt + 1)
        ]
        if wait is None:
            assert row.next_attempt_at is None and row.failed_at is not None
            break
        assert row.failed_at is None
        due = at + wait
        # not a moment before its time
        assert host.deliver(due - timedelta(seconds=1)) == 0
        assert len(receiver.requests) == attempt
        at = due
    assert len(receiver.requests) == len(BACKOFF) + 1
    (shown,) = host.events()
    assert shown["attempts"] == len(BACKOFF) + 1
    assert shown["failed_at"] is not None and shown["delivered_at"] is None
    # given up for good
    receiver.status = 200
    assert host.deliver(at + timedelta(days=30)) == 0
    assert len(receiver.requests) == len(BACKOFF) + 1


def test_a_receiver_that_recovers_gets_the_event(host: Host, receiver: Receiver) -> None:
    api = host.api
    u = host.user("2088-0003")
    api.joined(u, PLAN)
    assert len(host.events()) == 1
    receiver.status = 503
    at = api.clock()
    assert host.deliver(at) == 0
    receiver.status = 204
    assert host.deliver(at + BACKOFF[0]) == 1
    (shown,) = host.events()
    assert shown["attempts"] == 2 and shown["delivered_at"] is not None
    assert shown["failed_at"] is None
    rows = api.rows("SELECT status_code FROM webhook_deliveries ORDER BY attempt")
    assert [r.status_code for r in rows] == [503, 204]
    first, second = receiver.requests
    assert first.body == second.body  # the same event, resent
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert verified(host.webhook_secret, second)


def test_an_unreachable_receiver_is_logged_and_retried(host: Host) -> None:
    api = host.api
    r = api.post(
        "/v1/host-apps",
        host.operator,
        json={"name": "closed", "webhook_url": "http://127.0.0.1:9/nobody-listens"},
    )
    assert r.status_code == 201
    # sign a user in through the second app and join
    now = int(time.time())
    token = jwt.encode(
        {"sub": "x1", "aud": "huzhu", "iat": now, "exp": now + 300, "jti": "j1"},
        r.json()["assertion_secret"],
        algorithm="HS256",
    )
    signed = api.post("/v1/auth/host-assertion", json={"app": "closed", "assertion": token})
    user = api.identity(User("x1", signed.json()["account_id"], signed.json()["access_token"]))
    api.joined(user, PLAN)
    at = api.clock()
    assert host.deliver(at) == 0
    (row,) = api.rows("SELECT attempt, status_code, error FROM webhook_deliveries")
    assert row.attempt == 1 and row.status_code is None and row.error
    (event,) = api.rows("SELECT attempts, next_attempt_at FROM webhook_events")
    assert event.attempts == 1 and event.next_attempt_at is not None


# --- charges --------------------------------------------------------------------------------


def test_a_round_queues_charge_due_for_each_host_member(host: Host, receiver: Receiver) -> None:
    api = host.api
    u1, u2, claimant = (host.user(f"2088-1{n}") for n in range(3))
    m1, m2 = api.joined(u1, PLAN), api.joined(u2, PLAN)
    plain = api.member("plain")  # charged, but not through a host app
    claim = api.claim(claimant, api.joined(claimant, PLAN))
    assert api.post(f"/v1/claims/{claim}/approve", host.reviewer).status_code == 200
    day = next_round_day(api.clock(), (7, 21))
    api.clock.now = lock_passed(day)
    before = len(host.events())
    ran = api.run_round(host.operator, day)
    assert ran.status_code == 201, ran.text
    assert ran.json()["cases"] == 1 and ran.json()["members"] == 3

    due = host.events("charge.due")
    assert len(host.events()) == before + len(due)
    assert host.events("charge.collected") == []  # post-paid: collected later
    assert {e["payload"]["membership_id"] for e in due} == {m1, m2}
    for e in due:
        p = e["payload"]
        assert p["round_id"] == ran.json()["id"]
        assert p["currency"] == "CNY"
        charged = api.get(
            f"/v1/rounds/{p['round_id']}/my-charges", u1 if p["membership_id"] == m1 else u2
        )
        assert [c["charged"]["fen"] for c in charged.json()] == [p["amount_fen"]] == [10]
        assert p["external_user_id"] == ("2088-10" if p["membership_id"] == m1 else "2088-11")
    assert plain.memberships[PLAN] not in {e["payload"]["membership_id"] for e in due}
    # a replayed run queues nothing more
    assert api.run_round(host.operator, day).status_code == 201
    assert len(host.events("charge.due")) == 2

    assert host.deliver() == len(host.events())
    sent = [r.doc for r in receiver.requests if r.doc["type"] == "charge.due"]
    assert sorted(d["data"]["membership_id"] for d in sent) == sorted([m1, m2])
    assert all(verified(host.webhook_secret, r) for r in receiver.requests)


def test_a_prepaid_round_also_says_the_charge_was_collected(host: Host) -> None:
    api = host.api
    plan = "dishui-accident"  # prepaid, accidents after 30 days, one round a month on the 7th
    charged_user, claimant = host.user("2088-20"), host.user("2088-21")
    m = api.joined(charged_user, plan)
    mc = api.joined(claimant, plan)
    api.pay_deposit(charged_user, plan, m)
    api.pay_deposit(claimant, plan, mc)
    plain = api.member("plain", plan=plan)
    api.pay_deposit(plain, plan, plain.memberships[plan])
    api.clock.now += timedelta(days=31)
    claim = api.claim(claimant, mc)
    assert api.post(f"/v1/claims/{claim}/approve", host.reviewer).status_code == 200
    day = next_round_day(api.clock(), (7,))
    api.clock.now = lock_passed(day)
    ran = api.run_round(host.operator, day, plan)
    assert ran.status_code == 201, ran.text
    assert ran.json()["cases"] == 1 and ran.json()["members"] == 2
    due, collected = host.events("charge.due"), host.events("charge.collected")
    assert len(due) == len(collected) == 1
    for e in (*due, *collected):
        assert e["payload"]["membership_id"] == m
        assert e["payload"]["external_user_id"] == "2088-20"
        assert e["payload"]["amount_fen"] == 300  # the 3 yuan cap per event
    assert host.deliver() == len(host.events())
