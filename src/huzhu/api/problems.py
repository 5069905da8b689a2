"""RFC 9457 problem details: every error the API returns has this shape.

`type` is a stable URN per error code (`urn:huzhu:problem:age-out-of-range`), so clients can
switch on it; `field` names the input at fault; `violations` lists every failed rule.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException

from huzhu.domain.errors import HuzhuError, RuleViolation, TooManyRequests
from huzhu.storage.errors import retryable

log = logging.getLogger("huzhu.api")
MEDIA = "application/problem+json"


class ViolationOut(BaseModel):
    code: str
    message: str
    field: str | None = None


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None
    violations: list[ViolationOut] = []
    instance: str | None = Field(
        None, description="`urn:huzhu:request:<id>`: the request id, also in `X-Request-Id`."
    )


TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Refused",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Malformed request",
    429: "Too many requests",
    500: "Server error",
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {MEDIA: {}}, "description": title}
    for status, title in TITLES.items()
    if status not in (405, 500)
}


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    field: str | None = None,
    violations: list[ViolationOut] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=f"urn:huzhu:problem:{code}",
        title=TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        code=code,
        field=field,
        violations=violations or [],
    )
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status, media_type=MEDIA, headers=headers
    )


def rate_limit_headers(limit: int, window_s: int, retry_after_s: int) -> dict[str, str]:
    """`Retry-After` (RFC 9110) and the IETF RateLimit fields: the draft's structured form
    (`RateLimit-Policy`, `RateLimit`) and the older, widely read `RateLimit-Limit` and so on."""
    return {
        "Retry-After": str(retry_after_s),
        "RateLimit-Policy": f'"default";q={limit};w={window_s}',
        "RateLimit": f'"default";r=0;t={retry_after_s}',
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": str(retry_after_s),
    }


def _loc(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _unique_violation(exc: IntegrityError) -> bool:
    """A UNIQUE constraint refused the write (PostgreSQL SQLSTATE 23505, or SQLite's message)."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:
        return bool(sqlstate == "23505")
    return "UNIQUE constraint failed" in str(exc.orig)


def install(app: FastAPI) -> None:
    @app.exception_handler(HuzhuError)
    async def domain_error(_: Request, exc: HuzhuError) -> JSONResponse:
        violations = None
        if isinstance(exc, RuleViolation):
            violations = [
                ViolationOut(code=v.code, message=v.message, field=v.field) for v in exc.violations
            ]
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if isinstance(exc, TooManyRequests) and exc.retry_after_s is not None:
            headers = rate_limit_headers(exc.limit or 0, exc.window_s or 0, exc.retry_after_s)
        return problem(
            exc.status,
            exc.code,
            exc.message,
            field=exc.field,
            violations=violations,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def malformed(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        violations = [
            ViolationOut(
                code="malformed", message=str(e.get("msg", "")), field=_loc(tuple(e.get("loc", ())))
            )
            for e in errors
        ]
        first = violations[0] if violations else ViolationOut(code="malformed", message="malformed")
        return problem(
            422,
            "malformed-request",
            f"{first.field}: {first.message}",
            field=first.field,
            violations=violations,
        )

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError | RecursionError):
            # FastAPI could not read the body: an integer of thousands of digits, nesting too deep.
            message = "the body is not JSON that can be read (a number too long, nesting too deep?)"
            violation = ViolationOut(code="malformed", message=message, field="body")
            return problem(
                422, "malformed-request", f"body: {message}", field="body", violations=[violation]
            )
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem(exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem(500, "server-error", "something went wrong; it has been logged")

    @app.exception_handler(IntegrityError)
    async def clash(request: Request, exc: IntegrityError) -> JSONResponse:
        # Two requests raced past the same "does it exist yet?" check (a username, a host app's
        # name, an ID number): the database's UNIQUE constraint refused the second. That is a
        # conflict the client can retry (and get the precise refusal), not a server error.
        if not _unique_violation(exc):
            return await crash(request, exc)
        log.warning("unique constraint refused a concurrent write: %s", exc.orig)
        return problem(
            409,
            "conflict",
            "this clashes with a change made at the same moment; send the request again",
        )

    @app.exception_handler(DBAPIError)
    async def aborted(request: Request, exc: DBAPIError) -> JSONResponse:
        if not retryable(exc):
            return await crash(request, exc)
        log.warning("the database aborted a transaction to let another finish: %s", exc.orig)
        return problem(
            409,
            "conflict-retry",
            "another change to the same records was made at the same moment; nothing was "
            "written; send the request again",
            headers={"Retry-After": "1"},
        )
