"""The dormancy job run several times at once, on PostgreSQL: each dormant account pays its
quarter's fee once, and never more than it holds."""

from __future__ import annotations

from functools import partial

from moneykit import assert_audit_passes, build
from racekit import race, tally
from sqlalchemy import Engine, func, select

from helpers import at, join_one
from huzhu.services.members import dormancy
from huzhu.services.members import service as members
from huzhu.services.money.ledger import top_up
from huzhu.storage.repositories.members.family import FamilyRepository
from huzhu.storage.tables import ledger_transactions
from huzhu.storage.uow import UnitOfWork

RUNS = 6


def _run(engine: Engine) -> dormancy.DormancyRun:
    with UnitOfWork(engine) as uow:
        result = dormancy.run(uow, "pre", at("2026-01-10"))
        uow.commit()
    return result


def test_jobs_at_once_charge_each_dormant_account_once(postgres: Engine) -> None:
    build(postgres, "qingsong-huzhu", "pre", 2)
    accounts = []
    for n, amount in ((51, 1000), (52, 300), (53, 150)):
        m = join_one(postgres, "pre", at("2025-10-01"), n=n).membership_id
        with UnitOfWork(postgres) as uow:
            top_up(uow, m, amount, f"up-{m}", at("2025-10-02"))
            members.leave(uow, m, at("2025-10-03"))
            uow.commit()
        accounts.append(m)
    outcomes = race([partial(_run, postgres)] * RUNS)
    assert tally(outcomes) == {"ok": RUNS}
    assert sorted(o.value.charged for o in outcomes) == [0] * (RUNS - 1) + [3]
    with UnitOfWork(postgres) as uow:
        family = FamilyRepository(uow.conn)
        assert [family.place_and_balance(m)[1] for m in accounts] == [800, 100, 0]
        fees = uow.conn.scalar(
            select(func.count()).where(ledger_transactions.c.kind == dormancy.FEE_KIND)
        )
    assert fees == 3
    assert_audit_passes(postgres)
