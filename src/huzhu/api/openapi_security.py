"""How a client signs in, declared in the OpenAPI document.

Without `securitySchemes`, generated clients had no way to send credentials and the docs had no
Authorize button. Three schemes are declared: the bearer token from `POST /v1/auth/token`, the
portal's session cookie from `POST /v1/auth/session`, and the CSRF header that must accompany the
cookie on unsafe methods. Each operation lists what it accepts, read from its dependencies (does it
need `current_principal`, or only take an `optional_principal`?), so a new route is declared
correctly without anyone remembering to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from huzhu.api.deps import CSRF_HEADER, SESSION_COOKIE, current_principal, optional_principal

SCHEMES: dict[str, dict[str, Any]] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A session token from POST /v1/auth/token (or a host-app assertion).",
    },
    "session-cookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The portal's session cookie from POST /v1/auth/session.",
    },
    "csrf-token": {
        "type": "apiKey",
        "in": "header",
        "name": CSRF_HEADER,
        "description": "With the session cookie, unsafe methods echo the sign-in's csrf_token.",
    },
}
SAFE = frozenset({"get", "head", "options"})
# Endpoints that resolve the caller inside their handler instead of through a dependency: the join
# reads the principal on its worker thread, after trying the one-statement path.
SIGNED_IN_BY_HAND = frozenset({("post", "/v1/memberships")})


def _api_routes(app: FastAPI) -> list[Any]:
    """Every API route with its full path and dependencies, included routers flattened.

    FastAPI from 0.160 keeps included routers nested (`iter_route_contexts` flattens them; the
    context passes `dependant` through); older versions list `APIRoute`s directly.
    """
    contexts = getattr(routing, "iter_route_contexts", None)
    if contexts is None:
        return [r for r in app.routes if isinstance(r, APIRoute)]
    return [c for c in contexts(app.routes) if isinstance(c.original_route, APIRoute)]


def _calls(dependant: Dependant) -> set[Callable[..., Any]]:
    found: set[Callable[..., Any]] = set()
    if dependant.call is not None:
        found.add(dependant.call)
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


def requirement(method: str, *, optional: bool) -> list[dict[str, list[str]]]:
    cookie: dict[str, list[str]] = (
        {"session-cookie": []} if method in SAFE else {"session-cookie": [], "csrf-token": []}
    )
    needed: list[dict[str, list[str]]] = [{"bearer": []}, cookie]
    return [*needed, {}] if optional else needed


def add_security(schema: dict[str, Any], app: FastAPI) -> None:
    schema.setdefault("components", {}).setdefault("securitySchemes", {}).update(SCHEMES)
    paths = schema.get("paths", {})
    for route in _api_routes(app):
        path = route.path_format
        if path not in paths:
            continue
        calls = _calls(route.dependant)
        for method in route.methods or ():
            m = method.lower()
            operation = paths[path].get(m)
            if operation is None:
                continue
            if current_principal in calls or (m, path) in SIGNED_IN_BY_HAND:
                operation["security"] = requirement(m, optional=False)
            elif optional_principal in calls:
                operation["security"] = requirement(m, optional=True)


def install(app: FastAPI) -> None:
    """Wrap the app's OpenAPI generator (whatever it is by now) to add the schemes."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        add_security(schema, app)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
