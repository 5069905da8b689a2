"""Request and response bodies of rounds: the run, case cards, the chain head, a member's
charge."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from huzhu.api.schemas import DayIn, In, Money


class RoundRunIn(In):
    announce_date: DayIn


class CaseCard(BaseModel):
    claim_id: int
    name: str
    condition_code: str
    condition: str
    age: int
    sex: str
    province: str | None
    payout: Money
    days_since_joining: int


class RoundOut(BaseModel):
    id: int
    plan_id: str
    announce_date: date
    lock_at: datetime
    collect_date: date
    plan_version: int
    members: int
    cases: int
    payouts: Money
    fee: Money
    carry_in: Money
    share: Money
    collected: Money
    backstop: Money
    surplus: Money


class ChainHead(BaseModel):
    """The newest entry of the public record: outsiders keep it to hold the operator to history."""

    seq: int
    digest: str


class RoundDetail(RoundOut):
    case_cards: list[CaseCard]
    chain_head: ChainHead
    merkle_root: str | None  # over every member's charge; None until the proofs are published


class MyChargeOut(BaseModel):
    round_id: int
    membership_id: int
    charged: Money
