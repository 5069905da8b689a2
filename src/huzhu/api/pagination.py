"""Cursor pagination: lists return `next_cursor`, an opaque token for the next page."""

from __future__ import annotations

import base64
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from huzhu.domain.errors import InvalidInput

T = TypeVar("T")
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        last = int(value)
        if kind != "id" or last < 0 or last > 2**62:
            raise ValueError
        return last
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(
            "the cursor is not one this API issued", code="invalid-cursor", field="cursor"
        ) from None


Cursor = Annotated[str | None, Query(max_length=64, description="next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def page(items: list[T], limit: int, last_id: int | None) -> Page[T]:
    return Page[T](
        items=items, next_cursor=encode(last_id) if len(items) == limit and last_id else None
    )
