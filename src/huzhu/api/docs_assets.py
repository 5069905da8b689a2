"""/docs without a CDN: swagger-ui's files come from the installed `swagger-ui-bundle` package.

FastAPI's own /docs page loads swagger-ui from a CDN (and /redoc loads ReDoc from one), so the docs
broke offline and trusted a third party's scripts. Here the package's static folder is mounted at
/docs-assets and the page points there. Its policy allows scripts from this server plus, by hash,
the one inline script that starts swagger-ui; nothing else loads from anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/docs-assets"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _policy(page: str) -> str:
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(page)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'none'"
    )


def install(app: FastAPI) -> None:
    """Serve /docs and its assets; build the app with `docs_url=None, redoc_url=None`."""
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")
    body = get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        # No badge fetched from the public validator.
        swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": False},
    ).body
    page = bytes(body).decode()
    policy = _policy(page)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": policy})
