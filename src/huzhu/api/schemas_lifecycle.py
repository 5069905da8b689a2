"""Bodies and answers of a plan's lifecycle: closing it, and rounds paid by the operator."""

from __future__ import annotations

from pydantic import BaseModel, Field

from huzhu.api.schemas import DayIn, In, Money


class CloseIn(In):
    notice_date: DayIn
    end_date: DayIn
    refund_past_shares: bool = False


class RefundsOut(BaseModel):
    members: int
    balances: Money
    past_shares: Money


class ClosingOut(BaseModel):
    plan_id: str
    notice_date: str
    end_date: str
    last_claim_day: str
    refund_due: str
    refund_past_shares: bool
    refunds: RefundsOut | None = Field(
        description="Sent at once when the notice date has come; else null"
    )


class OperatorPaidIn(In):
    first_date: DayIn
    last_date: DayIn
    note: str = Field("", max_length=500)


class OperatorPaidOut(BaseModel):
    id: int
    plan_id: str
    first_date: str
    last_date: str | None
    reason: str
