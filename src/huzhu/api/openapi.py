"""The OpenAPI document as client generators read it (issue 15).

FastAPI's document is rewritten once, when first asked for:
- every operation has a short `operationId` (the handler's name) and a tag;
- error responses are `application/problem+json` with the `Problem` schema, and an operation lists
  only the statuses it can answer (no 401/403 on public operations, no 413/415 without a body,
  429 only where a rate limit applies);
- generic schemas get names (`Page_AccountOut_` becomes `AccountOutPage`);
- `Idempotency-Key` is required where the server refuses a request without it;
- evidence upload and download are binary bodies a generator can express;
- the `webhooks` section (OpenAPI 3.1) describes every event huzhu sends to host apps;
- a `servers` entry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from huzhu.api.examples import add_examples
from huzhu.api.problems import MEDIA

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
AUTH_CALLS = {"current_principal", "role"}
# Public operations that still answer 401: signing in, and a bad token where one is optional.
CHECKS_CREDENTIALS = {"optional_principal"}
# and operations that check a credential of their own (a gateway's signature).
SIGN_IN = {
    "/v1/auth/token",
    "/v1/auth/session",
    "/v1/auth/host-assertion",
    "/v1/gateway/{name}/callbacks",
}
# Operations behind a rate limit (api/ratelimit.py): sign-ins, registrations and joins.
RATE_LIMITED = {
    ("post", "/v1/accounts"),
    ("post", "/v1/auth/token"),
    ("post", "/v1/auth/session"),
    ("post", "/v1/auth/host-assertion"),
    ("post", "/v1/memberships"),
}
# Handlers that check the caller themselves rather than through a dependency (api/join.py).
SIGNED_IN_INSIDE = {("post", "/v1/memberships")}
BINARY = {"type": "string", "format": "binary"}


# --- webhook events -----------------------------------------------------------------------


class _Data(BaseModel):
    external_user_id: Annotated[
        str, Field(description="The member's user id in the host app.", examples=["2088-0001"])
    ]


class MemberJoinedData(_Data):
    plan_id: str
    membership_id: int


class MemberLeftData(MemberJoinedData):
    reason: Annotated[str, Field(examples=["voluntary"])]


class ClaimStatusData(_Data):
    claim_id: int
    state: Annotated[str, Field(examples=["approved"])]
    reason_code: str | None = None


class ChargeData(_Data):
    round_id: int
    membership_id: int
    amount_fen: Annotated[int, Field(description="Integer fen.", examples=[10])]
    currency: Literal["CNY"] = "CNY"


class BalanceLowData(_Data):
    round_id: int
    membership_id: int
    balance_fen: int
    reminder_below_fen: int
    currency: Literal["CNY"] = "CNY"


def _event(name: str, type_: str, data: type[BaseModel]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        "__annotations__": {
            "id": Annotated[int, Field(description="Also the `webhook-id` header.")],
            "type": Literal[type_],
            "created_at": datetime,
            "data": data,
        },
        "__doc__": f"The `{type_}` event.",
    }
    return type(name, (BaseModel,), fields)


EVENTS: dict[str, tuple[type[BaseModel], str]] = {
    "member.joined": (
        _event("MemberJoinedEvent", "member.joined", MemberJoinedData),
        "A person who signed in through your app joined a plan.",
    ),
    "member.left": (
        _event("MemberLeftEvent", "member.left", MemberLeftData),
        "A membership ended (left, aged out, paid out).",
    ),
    "claim.status_changed": (
        _event("ClaimStatusChangedEvent", "claim.status_changed", ClaimStatusData),
        "A claim moved to another state.",
    ),
    "charge.due": (
        _event("ChargeDueEvent", "charge.due", ChargeData),
        "A round charged the member; a post-paid plan collects it later.",
    ),
    "charge.collected": (
        _event("ChargeCollectedEvent", "charge.collected", ChargeData),
        "A prepaid plan took the charge from the member's balance.",
    ),
    "balance.low": (
        _event("BalanceLowEvent", "balance.low", BalanceLowData),
        "A prepaid member's balance is below the plan's reminder.",
    ),
}

WEBHOOK_HEADERS = """Sent as Standard Webhooks: `webhook-id`, `webhook-timestamp` and
`webhook-signature` (`v1,<base64 HMAC-SHA256>`, one per secret in force during a rotation), under
the host app's `whsec_` secret. Answer 2xx within the timeout; anything else is retried with
backoff."""


def _webhook_handler(model: type[BaseModel]) -> Callable[..., None]:
    def receive(event: BaseModel) -> None:
        """Documentation only: huzhu calls your endpoint."""

    receive.__annotations__ = {"event": model, "return": None}
    return receive


def _add_webhooks(app: FastAPI) -> None:
    for type_, (model, summary) in EVENTS.items():
        app.webhooks.add_api_route(
            type_,
            _webhook_handler(model),
            methods=["POST"],
            summary=summary,
            description=WEBHOOK_HEADERS,
            operation_id=type_.replace(".", "_"),
            tags=["webhooks"],
            status_code=200,
        )


# --- rewriting the document ---------------------------------------------------------------


def _calls(dependant: Any) -> set[str]:
    found: set[str] = set()
    for sub in dependant.dependencies:
        call = sub.call
        found.add(getattr(call, "__qualname__", "").split(".")[0])
        found |= _calls(sub)
    return found


def _routes(app: FastAPI) -> list[APIRoute]:
    try:
        from fastapi.routing import iter_route_contexts

        entries = [getattr(c, "route", c) for c in iter_route_contexts(app.routes)]
    except ImportError:  # older FastAPI flattens included routers into app.routes
        entries = list(app.routes)
    return [r for r in entries if isinstance(r, APIRoute)]


def _access(app: FastAPI) -> dict[tuple[str, str], str]:
    """(method, path) -> "signed-in", "credentials" (may answer 401) or "public"."""
    out: dict[tuple[str, str], str] = {}
    for route in _routes(app):
        calls = _calls(route.dependant)
        kind = (
            "signed-in" if calls & AUTH_CALLS
            else "credentials" if calls & CHECKS_CREDENTIALS or route.path in SIGN_IN
            else "public"
        )  # fmt: skip
        out |= {(m.lower(), route.path): kind for m in route.methods or () if m != "HEAD"}
    return out | dict.fromkeys(SIGNED_IN_INSIDE, "signed-in")


def _rename_generics(doc: dict[str, Any]) -> dict[str, Any]:
    schemas = doc.get("components", {}).get("schemas", {})
    names = {}
    for old in list(schemas):
        match = re.fullmatch(r"([A-Za-z]+)_([A-Za-z0-9]+)_", old)
        if match:
            names[old] = f"{match[2]}{match[1]}"
    text = json.dumps(doc)
    for old, new in names.items():
        text = text.replace(f"#/components/schemas/{old}", f"#/components/schemas/{new}")
    renamed: dict[str, Any] = json.loads(text)
    schemas = renamed["components"]["schemas"]
    for old, new in names.items():
        schemas[new] = schemas.pop(old)
        schemas[new]["title"] = new
    return renamed


def _short_id(op: dict[str, Any], path: str, method: str) -> str:
    suffix = "_" + re.sub(r"\W", "_", path.lstrip("/")) + "_" + method
    long_id: str = op.get("operationId", "")
    return long_id[: -len(suffix)] if long_id.endswith(suffix) else long_id


def _operation(
    op: dict[str, Any], path: str, method: str, access: dict[tuple[str, str], str]
) -> None:
    op["operationId"] = _short_id(op, path, method)
    for param in op.get("parameters", []):
        if param.get("in") == "header" and param["name"].lower() == "idempotency-key":
            param["required"] = True
            param["schema"] = {"type": "string", "minLength": 1, "maxLength": 200}
    op["parameters"] = [
        p
        for p in op.get("parameters", [])
        if not (p.get("in") == "header" and p["name"].lower() == "content-type")
    ]
    if not op["parameters"]:
        del op["parameters"]
    content = op.get("requestBody", {}).get("content", {})
    if content and all(media.startswith(("image/", "application/pdf")) for media in content):
        # Generators speak octet-stream; the server then reads the type from the bytes.
        content["application/octet-stream"] = {"schema": BINARY}
    drop = set()
    kind = access.get((method, path), "signed-in")
    if kind != "signed-in":
        drop.add("403")
        if kind == "public":
            drop.add("401")
        if method == "get":
            drop.add("409")
    if "requestBody" not in op:
        drop |= {"413", "415"}
        if "parameters" not in op:
            drop.add("422")
    if (method, path) not in RATE_LIMITED:
        drop.add("429")
    responses = op.get("responses", {})
    for status in list(responses):
        if status in drop:
            del responses[status]
        elif status.startswith(("4", "5")):
            responses[status]["content"] = {MEDIA: {"schema": PROBLEM_REF}}
        else:
            for media, body in responses[status].get("content", {}).items():
                if media not in ("application/json", MEDIA) and not body.get("schema"):
                    body["schema"] = BINARY


def document(app: FastAPI) -> dict[str, Any]:
    doc = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
        webhooks=app.webhooks.routes,
        servers=[{"url": "/", "description": "this server"}],
    )
    access = _access(app)
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            _operation(op, path, method, access)
    for item in doc.get("webhooks", {}).values():
        item["post"]["responses"] = {"2XX": {"description": "Received; anything else is retried."}}
    doc = _rename_generics(doc)
    schemas = doc["components"]["schemas"]
    if "HTTPValidationError" not in json.dumps(doc["paths"]):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    add_examples(schemas)
    problem = schemas.get("Problem")
    if problem is not None:
        problem["examples"] = [
            {
                "type": "urn:huzhu:problem:age-out-of-range",
                "title": "Refused",
                "status": 409,
                "detail": "a member must be 0 to 65 years old",
                "code": "age-out-of-range",
                "field": "birth_date",
                "violations": [],
            }
        ]
    return doc


def install(app: FastAPI) -> None:
    """Serve the rewritten document at /openapi.json (built on first request, then kept)."""
    _add_webhooks(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
