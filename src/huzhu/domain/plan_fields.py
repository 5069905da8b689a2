"""The building blocks of plan models: Beijing days, amounts in yuan, frozen models.

Plan files say amounts in yuan (a string such as "0.10" or a whole number of yuan); the models
hold fen. Floats are refused because they cannot say 0.10 exactly."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, SerializationInfo

from huzhu.domain.errors import InvalidInput
from huzhu.domain.money import Fen, format_yuan, parse_yuan

# Every plan in the domain brief runs on Beijing time; China has no daylight saving time.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def local_date(moment: datetime) -> date:
    """The day of a moment in Beijing time: ages, waiting periods and rounds count these days."""
    return moment.astimezone(CHINA_TZ).date()


def _yuan_field(value: object) -> int:
    if isinstance(value, (bool, float)):
        raise ValueError("write amounts in yuan as a string (e.g. '0.10') or a whole number")
    if not isinstance(value, int | str):
        raise ValueError("expected an amount in yuan")
    try:
        return parse_yuan(str(value))
    except InvalidInput as err:
        # pydantic only turns ValueError into a ValidationError that carries the field's path.
        raise ValueError(err.message) from None


def _dump_yuan(fen: Fen, info: SerializationInfo) -> object:
    """Plan files say yuan; the API says {fen, currency} (dump with context={"money": "fen"})."""
    context = info.context or {}
    if context.get("money") == "fen":
        return {"fen": fen, "currency": "CNY"}
    return format_yuan(fen, grouping=False)


Yuan = Annotated[
    Fen,
    BeforeValidator(_yuan_field),
    PlainSerializer(_dump_yuan, return_type=Any, when_used="always"),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
