"""Path and query parameters shared by the routes.

Every id, number, text and moment a client puts in a URL is bounded here, once, so that a value
the database cannot hold (an id beyond 64 bits, a version beyond 32, text with a NUL character, a
moment that overflows when turned into UTC) is refused as malformed (422) instead of failing deep
inside a query. Ids are positive and stay within JSON's exact integers, like ids in bodies.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, BeforeValidator

from huzhu.api.schemas import FIRST_DAY, LAST_DAY, MAX_ID, MAX_VERSION, no_nul


def _plausible(moment: datetime | None) -> datetime | None:
    if moment is not None and not FIRST_DAY <= moment.date() <= LAST_DAY:
        raise ValueError(f"give a moment between {FIRST_DAY} and {LAST_DAY}")
    return moment


_DIGITS = re.compile(r"[1-9][0-9]{0,18}")


def _digits(value: object) -> object:
    """An id or version in a URL is written in digits only: int() would also take " 1", "+1",
    "1_000" and "０１" (full-width), so two spellings could name one resource past a cache, a log
    search or a proxy rule."""
    if isinstance(value, str) and not _DIGITS.fullmatch(value):
        raise ValueError("write the number in digits only, without a sign, spaces or zeros first")
    return value


PathId = Annotated[int, Path(ge=1, le=MAX_ID), BeforeValidator(_digits)]
ClaimId = PathId  # names the claim routes' path parameters
ItemId = PathId
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID), BeforeValidator(_digits)]
PathVersion = Annotated[int, Path(ge=1, le=MAX_VERSION), BeforeValidator(_digits)]
PlanId = Annotated[str, Path(min_length=1, max_length=64), AfterValidator(no_nul)]
PlanIdQuery = Annotated[str, Query(min_length=1, max_length=64), AfterValidator(no_nul)]
PlanFilter = Annotated[
    str | None,
    Query(min_length=1, max_length=64, description="only this plan"),
    AfterValidator(no_nul),
]
Moment = Annotated[
    datetime | None, Query(description="with a time zone"), AfterValidator(_plausible)
]

ActionFilter = Annotated[
    str | None,
    Query(min_length=1, max_length=200, description="e.g. membership.joined"),
    AfterValidator(no_nul),
]
SubjectFilter = Annotated[
    str | None,
    Query(min_length=1, max_length=200, description="e.g. membership:12"),
    AfterValidator(no_nul),
]
