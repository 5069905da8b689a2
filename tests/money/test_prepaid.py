"""Prepaid collection: top-ups through the gateway, reminders, suspension and reactivation."""

from __future__ import annotations

from datetime import date

import pytest
from moneykit import Sandbox, assert_audit_passes, build, count, run
from sqlalchemy import Engine, select

from helpers import at
from huzhu.domain.access import Role
from huzhu.domain.errors import Conflict, InvalidInput
from huzhu.domain.members import Lifecycle
from huzhu.services.members import prepaid
from huzhu.services.members.statement import statement
from huzhu.services.money import payouts, reconcile
from huzhu.services.money.ledger import top_up
from huzhu.storage.tables import member_credits
from huzhu.storage.tables_access import webhook_events
from huzhu.storage.tables_money import collection_batches, sandbox_requests
from huzhu.storage.uow import UnitOfWork

ROUND = date(2026, 1, 7)  # announce the 7th, collect the 14th


def ask_top_up(engine: Engine, box: Sandbox, membership: int, fen: int, key: str, when: str):
    with UnitOfWork(engine) as uow:
        ref = prepaid.request_top_up(uow, box(uow.conn), membership, fen, key, at(when))
        uow.commit()
    return ref


def direct_top_up(engine: Engine, membership: int, fen: int, key: str, when: str) -> None:
    with UnitOfWork(engine) as uow:
        top_up(uow, membership, fen, key, at(when))
        uow.commit()


def link_to_host_app(engine: Engine, memberships: list[int]) -> None:
    with UnitOfWork(engine) as uow:
        app_id = uow.accounts.add_host_app("wallet", "a" * 32, "https://wallet.example/hook",
                                           "w" * 32, at("2025-09-01"))  # fmt: skip
        for m in memberships:
            account = uow.accounts.add(
                now=at("2025-09-01"), roles=frozenset({Role.MEMBER}), host_app_id=app_id,
                external_id=f"user-{m}",
            )  # fmt: skip
            uow.accounts.link_person(account, uow.memberships.get(m).person_id)
        uow.commit()


def lifecycle(engine: Engine, membership: int) -> Lifecycle:
    with UnitOfWork(engine) as uow:
        return uow.memberships.get(membership).lifecycle


def test_prepaid_top_ups_reminders_suspension_and_reactivation(engine: Engine) -> None:
    w = build(engine, "qingsong-huzhu", "pre", 20, payout="100")  # 108 yuan: 5.40 a head
    m = w.members
    box = Sandbox(engine)
    box.set(failure_bp=0, fail_members=frozenset({m[0]}))  # m[0]'s bank refuses

    # A top-up of zero or a negative amount is refused, whichever way it comes; nothing written.
    for fen, code in ((0, "amount-not-positive"), (-100, "amount-negative")):
        with pytest.raises(InvalidInput) as refused:
            direct_top_up(engine, m[1], fen, f"bad{fen}", "2026-01-02")
        assert refused.value.code == code
        with pytest.raises(InvalidInput) as refused:
            ask_top_up(engine, box, m[1], fen, f"bad{fen}", "2026-01-02")
        assert refused.value.code == code
    assert count(engine, collection_batches) == count(engine, member_credits) == 0

    # Deposits through the gateway are credited when the gateway says so, once.
    refs = [ask_top_up(engine, box, x, 1000, f"deposit-{x}", "2026-01-02") for x in m[:8]]
    assert ask_top_up(engine, box, m[1], 1000, f"deposit-{m[1]}", "2026-01-02") == refs[1]
    with pytest.raises(Conflict):
        ask_top_up(engine, box, m[1], 999, f"deposit-{m[1]}", "2026-01-02")
    assert count(engine, sandbox_requests) == 8
    with UnitOfWork(engine) as uow:
        assert uow.ledger.member_balance(m[1]) == 0  # not yet: the gateway answers later
    box.drain(at("2026-01-02"))
    for x in m[8:14]:
        direct_top_up(engine, x, 2000, f"deposit-{x}", "2026-01-02")
    with UnitOfWork(engine) as uow:
        balances = [uow.ledger.member_balance(x) for x in m[:9]]
    assert balances == [0] + [1000] * 7 + [2000]
    link_to_host_app(engine, [m[1], m[14], m[10]])

    assert run(engine, "pre", "2026-01-07").round.figures.share == 540
    with UnitOfWork(engine) as uow:
        check = prepaid.after_round(uow, "pre", ROUND, at("2026-01-07", 13))
        uow.commit()
    # Below 5 yuan: m[1..7] (4.60 left), m[0] and m[14..19] (0: a charge never takes a balance
    # below zero, the backstop paid their 5.40); below 0.01: the last seven.
    assert (check.reminded, check.suspended, check.already_done) == (14, 7, False)
    with UnitOfWork(engine) as uow:
        again = prepaid.after_round(uow, "pre", ROUND, at("2026-01-07", 14))
        # The round itself told host apps of each charge; these are the low-balance reminders.
        hooks = (
            uow.conn.execute(
                select(webhook_events.c.payload).where(webhook_events.c.type == "balance.low")
            )
            .scalars()
            .all()
        )
        notice = statement(uow, m[14], at("2026-01-08"))
    assert again.already_done and (again.reminded, again.suspended) == (14, 7)
    assert sorted(h["membership_id"] for h in hooks) == sorted([m[1], m[14]])
    assert all(h["balance_fen"] < 500 for h in hooks)
    assert notice.balance == 0 and any("please top up" in n for n in notice.notices)
    assert [lifecycle(engine, x) for x in (m[0], m[1], m[14])] == [
        Lifecycle.SUSPENDED, Lifecycle.ACTIVE, Lifecycle.SUSPENDED,
    ]  # fmt: skip

    # A top-up that brings the balance back to the minimum gives the cover back.
    direct_top_up(engine, m[14], 1000, "again", "2026-01-08")
    assert lifecycle(engine, m[14]) is Lifecycle.ACTIVE
    ask_top_up(engine, box, m[15], 300, "small", "2026-01-08")
    box.drain(at("2026-01-08"))
    assert lifecycle(engine, m[15]) is Lifecycle.ACTIVE  # 3 yuan: nothing was owed
    with UnitOfWork(engine) as uow:
        reasons = [e.reason for e in uow.memberships.events(m[15])]
        locked = uow.memberships.count_locked("pre", at("2026-01-21", 0))
    assert reasons == ["joined", "low-balance", "topped-up"]
    assert locked == 15  # m[0] and m[16..19] are still suspended and share nothing

    # A prepaid round's claim is paid at once: the charges were taken when it ran.
    with UnitOfWork(engine) as uow:
        sent = payouts.run_payouts(uow, box(uow.conn), "pre", ROUND, at("2026-01-07", 15))
        uow.commit()
    assert sent.submitted == 1
    box.drain(at("2026-01-07", 15))
    for day in ("2026-01-02", "2026-01-07", "2026-01-08"):
        with UnitOfWork(engine) as uow:
            report = reconcile.reconcile(uow, box(uow.conn), date.fromisoformat(day), at(day, 23))
            uow.commit()
        assert report.ok, report.issues
    assert_audit_passes(engine)
