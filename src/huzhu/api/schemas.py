"""The shared base of request and response bodies: inputs forbid unknown fields and NUL; money is
integer fen plus currency. Feature bodies live in the schemas_* modules beside this one."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator

from huzhu.domain.money import MAX_FEN

T = TypeVar("T")


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def no_nul(value: T) -> T:
    """Refuse text with a NUL character: no field means one, and PostgreSQL cannot store it."""
    if _has_nul(value):
        raise ValueError("text may not contain NUL (\\u0000) characters")
    return value


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        return no_nul(value)


class Money(BaseModel):
    fen: int
    currency: Literal["CNY"] = "CNY"


def money(fen: int) -> Money:
    return Money(fen=fen)


Text = Annotated[str, Field(min_length=1, max_length=200)]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")]
# Amounts and ids are JSON integers, strictly: "1", true and 1.0 are refused, not converted.
FenIn = Annotated[int, Strict(), Field(ge=0, le=MAX_FEN)]
# Ids are positive and within JSON's exact integers (and far inside the database's BIGINT);
# plan versions fit the database's INTEGER.
MAX_ID = 2**53
MAX_VERSION = 2**31 - 1
IdIn = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
# Days a plan can be about (announcements, diagnoses): the calendar arithmetic on them (lock and
# collection dates, time-zone shifts) stays far from the ends of Python's date range.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
DayIn = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]


# --- statements -------------------------------------------------------------------------


class StatementLineOut(BaseModel):
    round_id: int
    plan_id: str
    announce_date: date
    charged: Money
    cases: int


class OperatorPaidRoundOut(BaseModel):
    round_id: int
    announce_date: date
    cases: int
    share: Money  # what each member would have paid
    reason: Literal["promotion", "shutdown"]


class BalanceMoveOut(BaseModel):
    """Money into (positive) or out of (negative) a prepaid balance."""

    id: int
    membership_id: int  # the membership of the family account it was booked on
    at: datetime  # Beijing time (+08:00)
    kind: str  # deposit | top-up | refund | refund-failed | dormancy-fee | dormancy-refund
    amount: Money
    reference: str | None  # the gateway's; a membership id in it is masked (m***)


class StatementOut(BaseModel):
    membership_id: int
    plan_id: str
    status: str
    plan_version: int
    balance: Money
    total_paid: Money
    people_helped: int
    charges: list[StatementLineOut]
    summary: str
    # Rounds the operator paid for the member: a promotion, or after a plan's notice of closing.
    operator_paid: list[OperatorPaidRoundOut] = []
    # Prepaid plans only (absent post-paid): the money into and out of the family account's
    # balance, newest first, one page; `balance_moves_next_cursor` asks the next one.
    balance_moves: list[BalanceMoveOut] | None = None
    balance_moves_next_cursor: str | None = None
