"""Issue 9, money bugs: a prepaid charge never takes a balance below zero, the operator pays in
what the backstop owes before a payout is sent, and the audit fails on a negative prepaid
balance, on cash below zero and on a payout sent without the money for it."""

from __future__ import annotations

from datetime import date

import pytest
from moneykit import Sandbox, assert_audit_passes, audit_problems, balance, build, run
from sqlalchemy import Engine, insert

from helpers import at, join_one
from huzhu.domain.ledger import Posting, Transaction
from huzhu.services.audit import funds as audit_funds
from huzhu.services.money import payouts, reconcile
from huzhu.services.money.ledger import top_up
from huzhu.storage.tables import member_charges
from huzhu.storage.uow import UnitOfWork

ROUND = date(2026, 1, 7)
SHARE = 300_000_00 * 108 // 100 // 3  # 108,000 yuan a head among three members


def three_members(engine: Engine) -> list[int]:
    """The issue's case: balances of 0, 0 and 10 yuan, one approved 300,000-yuan claim."""
    w = build(engine, "qingsong-huzhu", "pre", 3, payout="300000")
    with UnitOfWork(engine) as uow:
        top_up(uow, w.members[2], 1000, "deposit", at("2026-01-02"))
        uow.commit()
    return w.members


def pay_and_reconcile(engine: Engine, box: Sandbox) -> None:
    with UnitOfWork(engine) as uow:
        payouts.run_payouts(uow, box(uow.conn), "pre", ROUND, at("2026-01-07", 15))
        uow.commit()
    box.drain(at("2026-01-07", 15))
    for day in ("2026-01-02", "2026-01-07"):
        with UnitOfWork(engine) as uow:
            reconcile.reconcile(uow, box(uow.conn), date.fromisoformat(day), at(day, 23))
            uow.commit()


def test_a_prepaid_charge_takes_what_the_balance_holds_and_the_backstop_the_rest(
    engine: Engine,
) -> None:
    m = three_members(engine)
    figures = run(engine, "pre", "2026-01-07").round.figures
    assert figures.share == SHARE
    assert figures.collected == 1000  # 10 yuan: all that m[2] held; m[0] and m[1] held nothing
    assert figures.backstop == figures.payouts + figures.fee - 1000
    assert figures.collected + figures.backstop - figures.surplus == (
        figures.payouts + figures.fee - figures.carry_in
    )
    with UnitOfWork(engine) as uow:
        assert [uow.ledger.member_balance(x) for x in m] == [0, 0, 0]
    box = Sandbox(engine)
    box.set(failure_bp=0)
    pay_and_reconcile(engine, box)
    # The operator paid in what the plan lacked before the transfer went out.
    assert balance(engine, "pre:operator-funding") == -(300_000_00 - 1000)
    assert balance(engine, "pre:cash") == 0
    assert_audit_passes(engine)


def test_the_audit_fails_on_a_negative_prepaid_balance(engine: Engine) -> None:
    three_members(engine)
    outcome = run(engine, "pre", "2026-01-07")
    assert_audit_passes(engine)
    late = join_one(engine, "pre", at("2026-01-08"), n=99).membership_id
    with UnitOfWork(engine) as uow:  # a charge written behind the round's back
        uow.conn.execute(
            insert(member_charges).values(
                membership_id=late, round_id=outcome.round.id, amount=500, year_total=None
            )
        )
        uow.commit()
    problems = audit_problems(engine)
    assert problems[audit_funds.PREPAID_CHECK] == [
        f"pre: the account of membership {late} holds -5.00 yuan"
    ]


def test_the_audit_fails_on_cash_below_zero_and_a_payout_without_the_money(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    three_members(engine)
    run(engine, "pre", "2026-01-07")
    # The payout run as it was: no money paid in by the operator before sending.
    monkeypatch.setattr(payouts, "fund_shortfall", lambda *args: 0)
    box = Sandbox(engine)
    box.set(failure_bp=0)
    pay_and_reconcile(engine, box)
    problems = audit_problems(engine)
    assert problems[audit_funds.CASH_CHECK] == ["pre: cash is -299,990.00 yuan"]
    [payout] = problems[audit_funds.PAYOUT_CHECK]
    assert payout.startswith("pre: after the payout of claim") and "-299,990.00" in payout


def test_the_audit_fails_on_cash_paid_out_that_never_came_in(engine: Engine) -> None:
    three_members(engine)
    with UnitOfWork(engine) as uow:
        uow.ledger.post(
            Transaction(
                key="stray",
                kind="settlement",
                plan_id="pre",
                postings=(Posting("pre:claims-payable", 5000), Posting("pre:cash", -5000)),
            ),
            at("2026-01-03"),
        )
        uow.commit()
    problems = audit_problems(engine)
    assert problems[audit_funds.CASH_CHECK] == ["pre: cash is -40.00 yuan"]
    assert problems[audit_funds.PAYOUT_CHECK] == [
        f"pre: after transaction stray at {at('2026-01-03').isoformat()} the plan held -40.00 yuan"
    ]
