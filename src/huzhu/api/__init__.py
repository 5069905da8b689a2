"""The HTTP API (FastAPI): for host apps and huzhu's own portal."""
