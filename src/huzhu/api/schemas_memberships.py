"""Request and response bodies of memberships: joining, successor offers and top-ups."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, Strict

from huzhu.api.schemas import IdIn, In, Money
from huzhu.api.schemas_accounts import PersonIn


class JoinIn(In):
    plan_id: Annotated[str, Field(min_length=1, max_length=64)]
    health_answers: Annotated[
        dict[Annotated[str, Field(max_length=64)], bool], Field(max_length=20)
    ]
    dependant_id: IdIn | None = None
    person: PersonIn | None = None


class SuccessorOfferIn(In):
    """Accepting the plan offered at the exit age: the successor's health declaration."""

    health_answers: Annotated[
        dict[Annotated[str, Field(max_length=64)], bool], Field(max_length=20)
    ]


class SuccessorOfferOut(BaseModel):
    """The plan offered to a member who reached the exit age; they join it only by accepting."""

    plan_id: str
    offered_at: datetime
    state: Literal["offered", "accepted"]
    membership_id: int | None  # the successor membership, once accepted


class MembershipOut(BaseModel):
    id: int
    plan_id: str
    person_id: int
    plan_version: int
    status: Literal["waiting", "covered", "suspended", "left"]
    joined_at: datetime
    illness_cover_from: date
    accident_cover_from: date
    left_at: datetime | None
    leave_reason: str | None
    balance: Money
    # Set when the member aged out of a plan that offers a successor (issue 9).
    successor_offer: SuccessorOfferOut | None = None


class EligibilityOut(BaseModel):
    eligible: bool
    failed_rules: list[str]


class JoinOut(BaseModel):
    membership: MembershipOut
    eligibility: EligibilityOut


class TopUpIn(In):
    amount_fen: Annotated[int, Strict(), Field(ge=1, le=10_000_000)]


class TopUpOut(BaseModel):
    membership_id: int
    transaction_id: int
    amount: Money
    balance: Money
