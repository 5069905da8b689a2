"""Issue 9, dormant accounts (Qingsong's rule): 2 yuan a quarter from a prepaid account that holds
money and has no active member, never below zero, once per quarter however often the job runs,
and refunded when the account is active again."""

from __future__ import annotations

from datetime import date

import pytest
from moneykit import assert_audit_passes, balance, build
from pydantic import ValidationError
from sqlalchemy import Engine

from cli.clikit import said as cli
from helpers import at, join_one
from huzhu.domain import dormancy as rule
from huzhu.domain.plan_schedule import Collection
from huzhu.services.members import dormancy
from huzhu.services.members import service as members
from huzhu.services.money.ledger import top_up
from huzhu.storage.repositories.members.family import FamilyRepository
from huzhu.storage.uow import UnitOfWork

FEE = 200  # 2 yuan, qingsong-huzhu's dormancy_fee


def left_with(engine: Engine, amount: int, n: int = 41) -> int:
    """A member of plan "pre" who topped up `amount` fen and left: a dormant account."""
    m = join_one(engine, "pre", at("2025-10-01"), n=n).membership_id
    with UnitOfWork(engine) as uow:
        top_up(uow, m, amount, f"up-{m}", at("2025-10-02"))
        members.leave(uow, m, at("2025-10-03"))
        uow.commit()
    return m


def job(engine: Engine, day: str) -> dormancy.DormancyRun:
    with UnitOfWork(engine) as uow:
        result = dormancy.run(uow, "pre", at(day))
        uow.commit()
    return result


def held(engine: Engine, membership_id: int) -> int:
    with UnitOfWork(engine) as uow:
        return FamilyRepository(uow.conn).place_and_balance(membership_id)[1]


def test_the_period_and_the_fee_rule() -> None:
    assert rule.period_label(date(2026, 3, 31), 3) == "2026-Q1"
    assert rule.period_label(date(2026, 4, 1), 3) == "2026-Q2"
    assert rule.period_label(date(2026, 8, 9), 6) == "2026-M07"
    assert [rule.fee_due(FEE, h) for h in (0, 1, 199, 200, 5000)] == [0, 1, 199, 200, 200]


def test_a_dormant_account_pays_once_a_quarter_never_below_zero(engine: Engine) -> None:
    build(engine, "qingsong-huzhu", "pre", 2)
    rich, poor = left_with(engine, 1000), left_with(engine, 150, n=42)
    active = join_one(engine, "pre", at("2025-10-01"), n=43).membership_id
    with UnitOfWork(engine) as uow:
        top_up(uow, active, 1000, "up-active", at("2025-10-02"))
        uow.commit()
    first = job(engine, "2026-01-10")
    assert (first.period, first.charged, first.fees) == ("2026-Q1", 2, FEE + 150)
    again = job(engine, "2026-03-31")  # the same quarter: nothing more
    assert (again.charged, again.fees) == (0, 0)
    assert [held(engine, m) for m in (rich, poor, active)] == [800, 0, 1000]
    later = job(engine, "2026-04-01")  # a new quarter; the emptied account is no longer dormant
    assert (later.period, later.charged, later.fees) == ("2026-Q2", 1, FEE)
    assert [held(engine, m) for m in (rich, poor, active)] == [600, 0, 1000]
    assert balance(engine, "pre:dormancy-fees") == -(2 * FEE + 150)
    assert_audit_passes(engine)


def test_the_fees_are_refunded_when_the_account_is_active_again(engine: Engine) -> None:
    build(engine, "qingsong-huzhu", "pre", 2)
    gone = left_with(engine, 1000)
    job(engine, "2026-01-10")
    job(engine, "2026-04-10")
    assert held(engine, gone) == 600
    back = join_one(engine, "pre", at("2026-05-01"), n=41).membership_id  # the same person
    refund = job(engine, "2026-05-02")
    assert (refund.refunded, refund.refunds, refund.charged) == (2, 2 * FEE, 0)
    assert held(engine, back) == 1000
    assert (job(engine, "2026-05-03").refunded, job(engine, "2026-07-03").charged) == (0, 0)
    assert balance(engine, "pre:dormancy-fees") == 0
    assert_audit_passes(engine)


def test_a_plan_without_the_fee_charges_nothing(engine: Engine) -> None:
    build(engine, "xiang-hu-bao", "xhb", 2)
    with UnitOfWork(engine) as uow:
        result = dormancy.run(uow, "xhb", at("2026-01-10"))
        assert dormancy.plans_with_fee(uow, at("2026-01-10")) == ["qingsong-huzhu"]
    assert (result.period, result.charged) == ("", 0)


def test_the_job_through_the_command_line(engine: Engine, database_url: str) -> None:
    build(engine, "qingsong-huzhu", "pre", 2)
    left_with(engine, 1000)
    args = ("collect", "dormancy", "--plan", "pre")
    first = cli(database_url, "2026-01-10T10:00", *args)
    assert "pre 2026-Q1: 1 dormant account(s) charged 2.00 yuan" in first
    assert "0 dormant account(s) charged 0.00 yuan" in cli(database_url, "2026-01-11T10:00", *args)
    every = cli(database_url, "2026-01-12T10:00", "collect", "dormancy")
    assert "qingsong-huzhu 2026-Q1: 0 dormant" in every and "pre 2026-Q1: 0 dormant" in every
    assert "audit passed" in cli(database_url, "2026-01-12T11:00", "audit")


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"dormancy_fee": "2"}, "go together"),
        ({"dormancy_fee": "2", "dormancy_period_months": 5}, "must divide 12"),
        ({"dormancy_fee": "2", "dormancy_period_months": 3, "mode": "postpaid", "retry_days": 3},
         "only a prepaid plan"),
    ],
)  # fmt: skip
def test_the_fee_fields_are_checked(fields: dict[str, object], error: str) -> None:
    values = {"mode": "prepaid", "minimum_balance": "0.01", **fields}
    with pytest.raises(ValidationError, match=error):
        Collection.model_validate(values)
