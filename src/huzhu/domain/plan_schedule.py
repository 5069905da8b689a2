"""When and how a plan runs: the collection, calendar and claims sections of a plan file (how
money is collected, when rounds are announced and collected, the claim process's numbers)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from huzhu.domain.plan_fields import CHINA_TZ, Yuan, _Model


class CollectionMode(StrEnum):
    PREPAID = "prepaid"
    POSTPAID = "postpaid"


class Collection(_Model):
    mode: CollectionMode
    initial_deposit: Yuan | None = None
    minimum_balance: Yuan | None = None
    reminder_balance: Yuan | None = None
    retry_days: int | None = Field(default=None, ge=0, le=60)
    # Qingsong's rule: an account with a balance and no active member pays this per period
    # (docs/books.md, "Dormant accounts"); a period is whole months dividing a year (3: quarter).
    dormancy_fee: Yuan | None = Field(default=None, gt=0)
    dormancy_period_months: int | None = Field(default=None, ge=1, le=12)

    @model_validator(mode="after")
    def _dormancy(self) -> Collection:
        if (self.dormancy_fee is None) != (self.dormancy_period_months is None):
            raise ValueError("dormancy_fee and dormancy_period_months go together")
        if self.dormancy_period_months is not None and 12 % self.dormancy_period_months:
            raise ValueError("dormancy_period_months must divide 12 (1, 2, 3, 4, 6 or 12)")
        if self.dormancy_fee is not None and self.mode is not CollectionMode.PREPAID:
            raise ValueError("only a prepaid plan holds balances to charge a dormancy fee from")
        return self

    @model_validator(mode="after")
    def _fits_mode(self) -> Collection:
        if self.mode is CollectionMode.PREPAID and self.minimum_balance is None:
            raise ValueError("a prepaid plan needs minimum_balance")
        if self.mode is CollectionMode.POSTPAID and self.retry_days is None:
            raise ValueError("a post-paid plan needs retry_days")
        return self

    def retry_days_after(self, failed_on: date) -> tuple[date, date]:
        """The first and last day a debit that failed on `failed_on` is retried (Beijing days):
        from 0:00 the next day for `retry_days` days (Xiang Hu Bao: 5). After the last day the
        member leaves for non-payment."""
        days = self.retry_days or 0
        return failed_on + timedelta(days=1), failed_on + timedelta(days=days)


class RoundDates(_Model):
    announce_day: int = Field(ge=1, le=28)
    collect_day: int = Field(ge=1, le=28)


class Calendar(_Model):
    """When rounds happen. The headcount is locked at `lock_time` (Beijing time) on announce day."""

    rounds: tuple[RoundDates, ...] = Field(min_length=1, max_length=6)
    lock_time: time = time(0, 0)

    @model_validator(mode="after")
    def _ordered(self) -> Calendar:
        days = [r.announce_day for r in self.rounds]
        if days != sorted(set(days)):
            raise ValueError("rounds must be listed by announce_day, each day once")
        return self

    def announce_dates(self, start: date, end: date) -> list[date]:
        """Announcement dates in [start, end], in order."""
        found: list[date] = []
        month = date(start.year, start.month, 1)
        while month <= end:
            for r in self.rounds:
                day = month.replace(day=r.announce_day)
                if start <= day <= end:
                    found.append(day)
            month = (month + timedelta(days=32)).replace(day=1)
        return found

    def lock_moment(self, announce_date: date) -> datetime:
        return datetime.combine(announce_date, self.lock_time, CHINA_TZ)

    def collect_date(self, announce_date: date) -> date:
        for r in self.rounds:
            if r.announce_day == announce_date.day:
                if r.collect_day >= r.announce_day:
                    return announce_date.replace(day=r.collect_day)
                next_month = (announce_date.replace(day=1) + timedelta(days=32)).replace(day=1)
                return next_month.replace(day=r.collect_day)
        raise ValueError(f"{announce_date} is not an announcement date of this plan")


class ClaimRules(_Model):
    """The numbers of the claim process: the optional `[claims]` table of a plan file."""

    objection_window_days: int = Field(default=3, ge=0, le=60)
    appeal_days: int = Field(default=30, ge=1, le=365)
    documents_days: int = Field(default=14, ge=1, le=180)
    # "drawn": a small jury drawn from a published seed. "public": any member who may sit votes
    # (Xiang Hu Bao); `jury_size` is then unused and the quorum is the votes a case needs.
    jury_mode: Literal["drawn", "public"] = "drawn"
    jury_size: int = Field(default=7, ge=1, le=101)
    jury_quorum: int = Field(default=5, ge=1, le=30000)
    # Overturn when at least this percentage of the votes cast say so; unset: a strict majority.
    jury_threshold_percent: int | None = Field(default=None, ge=1, le=100)
    jury_days: int = Field(default=7, ge=1, le=60)
    juror_min_member_days: int = Field(default=30, ge=0, le=3650)
    # Fraud signal: a claim diagnosed this soon after the waiting period ended is flagged.
    early_claim_days: int = Field(default=30, ge=0, le=3650)

    @model_validator(mode="after")
    def _quorum_fits(self) -> ClaimRules:
        if self.jury_mode == "drawn" and self.jury_quorum > self.jury_size:
            raise ValueError("jury_quorum cannot be above jury_size")
        return self
