"""Schemathesis against the live OpenAPI document, on SQLite and on PostgreSQL.

Every operation is called with generated valid and invalid input (examples, coverage and fuzzing
phases); each case is sent anonymously and then signed in with an account that holds every role.
No call may answer 5xx, and every answer must match what the document declares for it: the status
code, the content type and the body's schema. Invalid input must be refused with a 4xx.

The run is derandomized and bounded, so CI sees the same cases every time.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import Case
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine

from api_fuzz.live import LiveApi
from huzhu.api.app import create_app
from huzhu.api.settings import Settings

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


# Deterministic: the same cases on every run. No stateful phase: the links it follows are not
# declared in the document.
CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"deterministic": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
    }
)


def bounded(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,  # fuzzing phase; the examples and coverage phases come on top
        derandomize=True,
        database=None,
        deadline=None,
        # One seeded database per operation: its examples share it, as calls to a live server do.
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# Evidence uploads are raw files: give Schemathesis bytes for them, some that start like the real
# thing and some that do not.
for media, magic in [
    ("application/pdf", b"%PDF-1.4\n"),
    ("image/jpeg", b"\xff\xd8\xff\xe0"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
]:
    tail = st.binary(max_size=256)
    schemathesis.openapi.media_type(media, st.one_of(tail, tail.map(magic.__add__)))

# The document comes from the app itself, as served at /openapi.json; each test then calls an app
# of its own, built the same way on the test's database (the `api` fixture, once on SQLite and
# once on PostgreSQL). `schemathesis.pytest.from_fixture` would load the document from that
# fixture directly, but it does not run on pytest 9 (it sets `Function._nodeid`, which is gone).
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(Settings(), create_engine("sqlite://")), config=CONFIG
)


@schema.parametrize()
@bounded(max_examples=25)
def test_api(case: Case, api: LiveApi) -> None:
    """Each generated case is sent twice: anonymously, then signed in with every role."""
    case.call_and_validate(app=api.app, checks=CHECKS)
    case.call_and_validate(app=api.app, headers=api.headers(), checks=CHECKS)
    # Keep the caller able to reach everything: a generated sign-out or role change would
    # otherwise turn the rest of the run into 401s and 403s.
    if case.operation.path == "/v1/auth/logout":
        api.sign_in_again()
    if case.operation.path == "/v1/accounts/{account_id}/roles":
        api.restore_roles()
