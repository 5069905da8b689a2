"""Request and response bodies of accounts, host apps and the people behind them (identity)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, Strict, StringConstraints

from huzhu.api.schemas import In

# Spaces are part of a password: the model's whitespace trimming must not change it silently
# (a password set as " secret " would otherwise be stored as "secret").
Password = Annotated[
    str, StringConstraints(strip_whitespace=False), Field(min_length=1, max_length=256)
]


class RegisterIn(In):
    username: Annotated[str, Field(min_length=3, max_length=64)]
    password: Password


class SignInIn(In):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Password


class AssertionIn(In):
    app: Annotated[str, Field(min_length=1, max_length=100)]
    assertion: Annotated[str, Field(min_length=1, max_length=4096)]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    account_id: int


class CookieSessionOut(BaseModel):
    account_id: int
    csrf_token: str
    expires_at: datetime


class AccountOut(BaseModel):
    id: int
    username: str | None
    roles: list[str]
    person_id: int | None
    host_app_id: int | None
    created_at: datetime


class RolesIn(In):
    roles: Annotated[
        list[Literal["member", "reviewer", "operator", "auditor"]], Field(max_length=4)
    ]


class HostAppIn(In):
    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*$")]
    webhook_url: Annotated[str, Field(max_length=500, pattern=r"^https?://")] | None = None


class HostAppOut(BaseModel):
    id: int
    name: str
    assertion_secret: str
    webhook_secret: Annotated[str, Field(description="A Standard Webhooks secret (`whsec_…`).")]


class WebhookSecretOut(BaseModel):
    webhook_secret: Annotated[str, Field(description="The new secret (`whsec_…`), shown once.")]
    previous_valid_until: Annotated[
        datetime, Field(description="Until then, events carry a signature by the old one too.")
    ]


class PersonIn(In):
    id_type: Literal[
        "resident-id", "passport", "hk-macao-permit", "taiwan-permit", "foreign-permanent-resident"
    ] = "resident-id"
    id_number: Annotated[str, Field(min_length=5, max_length=32)]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    birth_date: date | None = None
    sex: Literal["M", "F"] | None = None
    phone: Annotated[str, Field(max_length=20, pattern=r"^\+?[0-9 -]{5,20}$")] | None = None
    email: Annotated[str, Field(max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    province_code: Annotated[str, Field(pattern=r"^[0-9]{2}$")] | None = None
    city_tier: Annotated[int, Strict(), Field(ge=1, le=5)] | None = None
    rural: bool | None = None


class PersonOut(BaseModel):
    id: int
    id_type: str
    id_number: str
    name: str
    birth_date: date
    sex: str
    province_code: str | None
    phone: str | None
    email: str | None
    guardian_id: int | None


class IdentityReceiptOut(BaseModel):
    """An identity received: what was sent, as read from the document, and nothing from the
    records, so that the answer is the same whether or not the number is already on file."""

    state: str = Field(description="always `received`; see GET /v1/me/person (or dependants)")
    id_type: str
    id_number: str
    name: str
    birth_date: date
    sex: str
