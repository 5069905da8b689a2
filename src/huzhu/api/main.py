"""Kept for `uvicorn huzhu.api.main:app` (the benchmarks use it): the app is built when uvicorn
first asks for `app`, not at import. Prefer `uvicorn --factory huzhu.api.app:create_app`."""

from typing import Any


def __getattr__(name: str) -> Any:
    if name != "app":
        raise AttributeError(name)
    from huzhu.api.app import create_app

    built = create_app()
    globals()["app"] = built
    return built
