"""The ASGI entry point for uvicorn: `uvicorn huzhu.api.main:app`."""

from huzhu.api.app import create_app

app = create_app(deliver_webhooks=True)
