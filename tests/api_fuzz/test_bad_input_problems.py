"""Bad input gets a 4xx problem, never a server error, on SQLite and on PostgreSQL.

The classes the issue names, each on representative endpoints: oversized bodies (413), wrong
content types (415), unknown fields, huge numbers, negative amounts and malformed ids (422). Then
the inputs Schemathesis and probing found crashing the server, kept as regressions: ids beyond 64
bits, plan versions beyond 32 bits, NUL characters (which PostgreSQL cannot store), moments and
days at the ends of the calendar, a diagnosis before birth, an integer of thousands of digits, a
chunked oversized body, and two registrations racing for one username.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from pytest import Subtests

from api_fuzz.live import PLAN, LiveApi
from huzhu.api.problems import MEDIA
from huzhu.services.accounts import service as accounts

LIMIT = 64 * 1024


@pytest.fixture
def client(api: LiveApi) -> Iterator[TestClient]:
    with TestClient(api.app, raise_server_exceptions=False) as c:
        c.headers.update(api.headers())
        yield c


def problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and code)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == MEDIA
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"] == f"urn:huzhu:problem:{body['code']}"
    assert body["title"] and body["detail"]
    if code is not None:
        assert body["code"] == code, body
    return body


def malformed(response: httpx.Response, field: str | None = None) -> dict[str, Any]:
    body = problem(response, 422, "malformed-request")
    if field is not None:
        assert body["field"] == field, body
    return body


JSON = {"content-type": "application/json"}
KEY = {"Idempotency-Key": "bad-input-1"}
CLAIM = {
    "membership_id": 1,
    "condition_code": "CA-01",
    "diagnosis_date": "2026-01-02",
    "hospital": "北京协和医院",
}
JOIN = {"plan_id": PLAN, "health_answers": {}}
SIGN_UP = {"username": "someone", "password": "long enough password"}
PERSON = {"id_number": "11010519900517123X", "name": "吴小漫"}
# (method, path, JSON body or None, the field the problem names)
Case = tuple[str, str, Any, str | None]


def all_malformed(client: TestClient, subtests: Subtests, cases: list[Case]) -> None:
    for method, path, body, field in cases:
        with subtests.test(f"{method} {path} {field}"):
            malformed(client.request(method, path, json=body, headers=KEY), field)


# --- oversized bodies --------------------------------------------------------------------

# Endpoints that take a body, each with a body it would accept in shape.
BODIES = [
    ("POST", "/v1/accounts", SIGN_UP),
    ("PUT", "/v1/me/person", PERSON),
    ("POST", "/v1/memberships", JOIN),
    ("POST", "/v1/memberships/1/top-ups", {"amount_fen": 1000}),
    ("POST", f"/v1/plans/{PLAN}/rounds", {"announce_date": "2026-01-21"}),
    ("POST", "/v1/claims", CLAIM),
]


def test_a_body_over_64_kib_is_refused_with_413(client: TestClient, subtests: Subtests) -> None:
    for method, path, body in BODIES:
        with subtests.test(f"{method} {path}"):
            padded = json.dumps({**body, "padding": "x" * LIMIT}).encode()
            response = client.request(method, path, content=padded, headers={**JSON, **KEY})
            problem(response, 413, "body-too-large")


def test_a_chunked_body_over_64_kib_is_refused_with_413_too(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"plan_id": "'
        for _ in range(70):
            yield b"x" * 1024
        yield b'"}'

    response = client.post("/v1/memberships", content=chunks(), headers={**JSON, **KEY})
    problem(response, 413, "body-too-large")


def test_the_limit_is_exactly_64_kib(client: TestClient) -> None:
    def body(size: int) -> bytes:
        head, tail = b'{"username": "', b'", "password": "long enough password"}'
        return head + b"u" * (size - len(head) - len(tail)) + tail

    at_limit = client.post("/v1/accounts", content=body(LIMIT), headers=JSON)
    malformed(at_limit, "username")  # read and validated: too long a name, not too big a body
    problem(client.post("/v1/accounts", content=body(LIMIT + 1), headers=JSON), 413)


def test_a_content_length_that_is_not_a_number_is_refused(client: TestClient) -> None:
    headers = {**JSON, "content-length": "lots"}
    problem(client.post("/v1/accounts", content=b"{}", headers=headers), 413, "body-too-large")


# --- wrong content types -----------------------------------------------------------------

NOT_JSON = ["text/plain", "application/x-www-form-urlencoded", "application/xml", "text/csv"]


def test_a_body_that_is_not_json_is_refused_with_415(
    client: TestClient, subtests: Subtests
) -> None:
    for method, path, body in BODIES:
        for media in NOT_JSON:
            with subtests.test(f"{method} {path} as {media}"):
                headers = {"content-type": media, **KEY}
                response = client.request(method, path, content=json.dumps(body), headers=headers)
                problem(response, 415, "unsupported-media-type")


def test_a_body_without_a_content_type_is_refused_with_415(client: TestClient) -> None:
    response = client.post("/v1/accounts", content=json.dumps(SIGN_UP).encode())
    problem(response, 415, "unsupported-media-type")


def test_json_with_a_charset_is_json(client: TestClient) -> None:
    body = {**SIGN_UP, "username": "charset-user"}
    headers = {"content-type": "application/json; charset=utf-8"}
    response = client.post("/v1/accounts", content=json.dumps(body), headers=headers)
    assert response.status_code == 201, response.text


def test_a_body_that_is_not_json_at_all_is_malformed(client: TestClient) -> None:
    malformed(client.post("/v1/accounts", content=b"username=someone", headers=JSON))


# --- unknown fields ----------------------------------------------------------------------


def test_an_unknown_field_is_refused_with_422_naming_it(
    client: TestClient, subtests: Subtests
) -> None:
    all_malformed(
        client,
        subtests,
        [
            ("POST", "/v1/accounts", {**SIGN_UP, "roles": ["operator"]}, "roles"),
            ("POST", "/v1/auth/token", {**SIGN_UP, "otp": 1}, "otp"),
            ("PUT", "/v1/me/person", {**PERSON, "vip": True}, "vip"),
            ("POST", "/v1/memberships", {**JOIN, "coupon": "FREE"}, "coupon"),
            ("POST", "/v1/memberships", {**JOIN, "person": {**PERSON, "pay": 1}}, "person.pay"),
            ("POST", "/v1/memberships/1/top-ups", {"amount_fen": 1, "currency": "USD"}, "currency"),
            ("POST", "/v1/claims", {**CLAIM, "payout_fen": 1}, "payout_fen"),
            ("PUT", "/v1/accounts/1/roles", {"roles": ["operator"], "all": True}, "all"),
        ],
    )


# --- huge numbers ------------------------------------------------------------------------


def test_a_huge_number_is_malformed(client: TestClient, subtests: Subtests) -> None:
    top_up = "/v1/memberships/1/top-ups"
    amounts = [10_000_001, 2**53 + 1, 2**63, 2**64, 10**30]
    all_malformed(
        client,
        subtests,
        [("POST", top_up, {"amount_fen": amount}, "amount_fen") for amount in amounts]
        + [
            ("POST", "/v1/claims", {**CLAIM, "disability_grade": 10**20}, "disability_grade"),
            ("PUT", "/v1/me/person", {**PERSON, "city_tier": 2**64}, "city_tier"),
        ],
    )


def test_a_number_too_long_to_read_is_malformed(client: TestClient, subtests: Subtests) -> None:
    for raw in [b"1e400", b"1" + b"0" * 400, b"9" * 5000, b"-" + b"9" * 5000]:
        with subtests.test(f"{len(raw)} characters"):
            body = b'{"amount_fen": ' + raw + b"}"
            headers = {**JSON, **KEY}
            malformed(client.post("/v1/memberships/1/top-ups", content=body, headers=headers))


def test_json_nested_too_deep_to_read_is_malformed(client: TestClient) -> None:
    depth = LIMIT // 2
    malformed(client.post("/v1/accounts", content=b"[" * depth + b"]" * depth, headers=JSON))


def test_a_huge_id_is_malformed_wherever_it_is_sent(client: TestClient, subtests: Subtests) -> None:
    """Ids beyond 64 bits used to reach the database and fail there (500); plan versions beyond
    32 bits too, on PostgreSQL."""
    all_malformed(
        client,
        subtests,
        [
            ("GET", f"/v1/memberships/{2**63}", None, "membership_id"),
            ("GET", f"/v1/memberships/{2**64}/statement", None, "membership_id"),
            ("POST", f"/v1/memberships/{2**63}/leave", None, "membership_id"),
            ("POST", f"/v1/memberships/{2**63}/top-ups", {"amount_fen": 1}, "membership_id"),
            ("GET", f"/v1/claims/{10**30}", None, "claim_id"),
            ("POST", f"/v1/claims/{2**63}/approve", None, "claim_id"),
            ("GET", f"/v1/rounds/{2**63}", None, "round_id"),
            ("GET", f"/v1/rounds/{2**63}/my-charges", None, "round_id"),
            ("GET", f"/v1/memberships/1/rounds/{2**63}/proof", None, "round_id"),
            ("GET", f"/v1/memberships/{2**63}/rounds/1/proof", None, "membership_id"),
            ("GET", f"/v1/plans/{PLAN}/versions/{2**31}", None, "version"),
            ("GET", f"/v1/plans/{PLAN}/versions/{2**63}", None, "version"),
            ("PUT", f"/v1/accounts/{2**63}/roles", {"roles": []}, "account_id"),
            ("GET", f"/v1/webhook-events?host_app_id={2**63}", None, "host_app_id"),
            ("GET", f"/v1/audit-log?actor_account_id={2**64}", None, "actor_account_id"),
            ("GET", f"/v1/claims?limit={10**30}", None, "limit"),
            ("GET", "/v1/plans?limit=201", None, "limit"),
            ("POST", "/v1/claims", {**CLAIM, "membership_id": 2**63}, "membership_id"),
            ("POST", "/v1/memberships", {**JOIN, "dependant_id": 2**64}, "dependant_id"),
        ],
    )


# --- negative amounts --------------------------------------------------------------------


def test_a_negative_amount_is_malformed(client: TestClient, subtests: Subtests) -> None:
    top_up = "/v1/memberships/1/top-ups"
    amounts = [-1, 0, -(2**63), -(10**30)]
    all_malformed(
        client,
        subtests,
        [("POST", top_up, {"amount_fen": amount}, "amount_fen") for amount in amounts]
        + [
            ("POST", "/v1/claims", {**CLAIM, "disability_grade": -3}, "disability_grade"),
            ("GET", "/v1/claims?limit=-1", None, "limit"),
            ("GET", "/v1/memberships?limit=0", None, "limit"),
            ("GET", "/v1/audit-log?actor_account_id=-5", None, "actor_account_id"),
            ("GET", "/v1/webhook-events?host_app_id=0", None, "host_app_id"),
        ],
    )


# --- malformed ids -----------------------------------------------------------------------

BAD_IDS = ["abc", "-1", "0", "1.5", "1e3", "0x1F", "%20", "%00", "%D9%A1", "true", "null"]
ID_PATHS = [
    ("GET", "/v1/memberships/{}", "membership_id"),
    ("GET", "/v1/memberships/{}/statement", "membership_id"),
    ("POST", "/v1/memberships/{}/leave", "membership_id"),
    ("GET", "/v1/claims/{}", "claim_id"),
    ("POST", "/v1/claims/{}/approve", "claim_id"),
    ("GET", "/v1/rounds/{}", "round_id"),
    ("GET", "/v1/rounds/{}/my-charges", "round_id"),
    ("GET", f"/v1/plans/{PLAN}/versions/{{}}", "version"),
]


def test_a_malformed_id_in_the_path_is_malformed(client: TestClient, subtests: Subtests) -> None:
    cases: list[Case] = [
        (method, template.format(raw), None, field)
        for method, template, field in ID_PATHS
        for raw in BAD_IDS
    ]
    cases += [("PUT", f"/v1/accounts/{raw}/roles", {"roles": []}, "account_id") for raw in BAD_IDS]
    cases += [
        ("POST", f"/v1/memberships/{raw}/top-ups", {"amount_fen": 1}, "membership_id")
        for raw in BAD_IDS
    ]
    all_malformed(client, subtests, cases)


def test_a_well_formed_id_that_is_not_there_is_not_found(client: TestClient) -> None:
    problem(client.get("/v1/memberships/999999"), 404, "unknown-membership")
    problem(client.get("/v1/claims/999999"), 404, "unknown-claim")
    problem(client.get("/v1/rounds/999999"), 404, "unknown-round")


# --- text with NUL characters (PostgreSQL refused them with a server error) ---------------


def test_a_nul_character_is_malformed(client: TestClient, subtests: Subtests) -> None:
    all_malformed(
        client,
        subtests,
        [
            ("GET", "/v1/plans/%00", None, "plan_id"),
            ("GET", f"/v1/plans/{PLAN}%00/conditions", None, "plan_id"),
            ("GET", "/v1/claims?plan_id=%00", None, "plan_id"),
            ("GET", "/v1/memberships?plan_id=a%00", None, "plan_id"),
            ("GET", f"/v1/ledger/transactions?plan_id={PLAN}%00", None, "plan_id"),
            ("GET", "/v1/audit-log?action=%00", None, "action"),
            ("GET", "/v1/announcements?plan_id=%00", None, "plan_id"),
            ("POST", "/v1/claims/1/evidence?filename=a%00.pdf", None, "filename"),
            ("GET", "/v1/audit-log?subject=x%00y", None, "subject"),
            ("POST", "/v1/auth/token", {**SIGN_UP, "username": "a\x00b"}, "username"),
            ("POST", "/v1/accounts", {**SIGN_UP, "password": "long enough\x00"}, "password"),
            ("POST", "/v1/auth/host-assertion", {"app": "\x00", "assertion": "a.b.c"}, "app"),
            (
                "POST",
                "/v1/host-apps",
                {"name": "ok", "webhook_url": "https://x/\x00"},
                "webhook_url",
            ),
            ("POST", "/v1/memberships", {**JOIN, "plan_id": "\x00"}, "plan_id"),
            (
                "POST",
                "/v1/memberships",
                {**JOIN, "health_answers": {"q\x00": True}},
                "health_answers",
            ),
            ("POST", "/v1/me/dependants", {**PERSON, "name": "吴\x00漫"}, "name"),
            (
                "POST",
                "/v1/claims/1/reject",
                {"reason_code": "r", "explanation": "\x00"},
                "explanation",
            ),
            ("POST", "/v1/claims", {**CLAIM, "evidence": ["a\x00"]}, "evidence"),
        ],
    )


# --- days and moments at the ends of the calendar ----------------------------------------


def test_a_day_or_moment_outside_the_plans_era_is_malformed(
    client: TestClient, subtests: Subtests
) -> None:
    rounds = f"/v1/plans/{PLAN}/rounds"
    ledger = f"/v1/ledger/accounts?plan_id={PLAN}&at="
    all_malformed(
        client,
        subtests,
        [
            ("POST", rounds, {"announce_date": "9999-12-31"}, "announce_date"),
            ("POST", rounds, {"announce_date": "0001-01-07"}, "announce_date"),
            ("POST", "/v1/claims", {**CLAIM, "diagnosis_date": "0001-01-01"}, "diagnosis_date"),
            ("GET", ledger + "9999-12-31T23:59:59-14:00", None, "at"),
            ("GET", ledger + "0001-01-01T00:00:00%2B14:00", None, "at"),
            ("GET", ledger + "0001-01-01T00:00:00Z", None, "at"),
        ],
    )


def test_a_moment_without_a_time_zone_is_still_refused_by_the_rule(client: TestClient) -> None:
    response = client.get("/v1/ledger/accounts", params={"plan_id": PLAN, "at": "2026-01-01T00:00"})
    assert problem(response, 400, "invalid-input")["field"] == "at"


def test_a_diagnosis_before_birth_is_refused_naming_the_field(client: TestClient) -> None:
    response = client.post("/v1/claims", json={**CLAIM, "diagnosis_date": "1950-06-01"})
    assert problem(response, 400, "invalid-input")["field"] == "diagnosis_date"


# --- what the document promises ----------------------------------------------------------


def test_running_a_period_again_answers_200_as_documented(client: TestClient) -> None:
    first = client.post(
        f"/v1/plans/{PLAN}/rounds", json={"announce_date": "2026-01-21"}, headers={**KEY}
    )
    assert first.status_code == 201, first.text
    again = client.post(
        f"/v1/plans/{PLAN}/rounds",
        json={"announce_date": "2026-01-21"},
        headers={"Idempotency-Key": "another-key"},
    )
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    documented = client.get("/openapi.json").json()["paths"]["/v1/plans/{plan_id}/rounds"]["post"]
    assert {"200", "201"} <= set(documented["responses"])


# --- races -------------------------------------------------------------------------------


def test_two_registrations_racing_for_one_username_never_crash(
    api: LiveApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both pass "is the name free?" before either writes (the hash between them is slow); the
    UNIQUE constraint refuses the second, which must be a 409, not a 500."""
    both_checked = threading.Barrier(2)

    class RacingHasher(PasswordHasher):
        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            # On SQLite the second waits for the first's write lock: no race to line up.
            with contextlib.suppress(threading.BrokenBarrierError):
                both_checked.wait(timeout=2)
            return super().hash(password, salt=salt)

    monkeypatch.setattr(accounts, "HASHER", RacingHasher(time_cost=1, memory_cost=1024))
    responses: list[httpx.Response] = []

    def register() -> None:
        with TestClient(api.app, raise_server_exceptions=False) as c:
            body = {"username": "racer", "password": "long enough password"}
            responses.append(c.post("/v1/accounts", json=body))

    threads = [threading.Thread(target=register) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409], [r.text for r in responses]
    refused = next(r for r in responses if r.status_code == 409)
    assert problem(refused, 409)["code"] in ("username-taken", "conflict")
