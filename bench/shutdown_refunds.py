"""Benchmark: refunding every member of a closing prepaid plan, on PostgreSQL.

    .venv/bin/python bench/shutdown_refunds.py                  # 200,000 members
    .venv/bin/python bench/shutdown_refunds.py --members 1000000

It seeds N members of qingsong-huzhu (prepaid) with set-based SQL (huzhu.simulation.seed), gives
each a 50-yuan balance in one ledger transaction, closes the plan with notice for the next day and
then times `refund_members` on the notice date: the same code `huzhu plans refund` runs, with the
sandbox gateway writing its transfer requests in the same database. It prints members/s, the
machine and its load average (the machine is shared: other work runs meanwhile).
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date, datetime, timedelta

from round_scale import machine
from sqlalchemy import Engine, func, insert, select, text

from huzhu.domain.ledger import member_credit_transaction
from huzhu.domain.plan_fields import CHINA_TZ
from huzhu.gateways.sandbox import SandboxGateway
from huzhu.services.plans import shutdown
from huzhu.services.plans.refunds import BATCH
from huzhu.services.plans.service import install_templates
from huzhu.simulation.seed import seed_members
from huzhu.storage.engine import make_engine, migrate
from huzhu.storage.tables import member_credits, memberships
from huzhu.storage.uow import UnitOfWork

DB = "huzhu_bench_refunds"
PLAN = "qingsong-huzhu"
BALANCE = 50_00


def fresh_engine() -> Engine:
    admin = make_engine(
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {DB}"))
    admin.dispose()
    return make_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB}")


def seed_balances(engine: Engine, now: datetime) -> int:
    """Every member tops up BALANCE: one ledger transaction and one INSERT ... SELECT."""
    with UnitOfWork(engine) as uow:
        count = int(uow.conn.scalar(select(func.count()).where(memberships.c.plan_id == PLAN)) or 0)
        uow.ledger.open_plan_accounts(PLAN)
        txn = member_credit_transaction(PLAN, "bench-top-ups", BALANCE * count, memo="bench")
        txn_id = uow.ledger.post(txn, now)
        rows = select(
            memberships.c.id, text(str(txn_id)), text(str(BALANCE)), text("'top-up'"),
            text(":at"),
        ).where(memberships.c.plan_id == PLAN)  # fmt: skip
        cols = ["membership_id", "transaction_id", "amount", "kind", "at"]
        uow.conn.execute(insert(member_credits).from_select(cols, rows), {"at": now})
        uow.commit()
    return count


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=200_000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"before: {load()}")
    engine = fresh_engine()
    migrate(engine)
    joined = datetime(2026, 6, 1, 9, tzinfo=CHINA_TZ)
    with UnitOfWork(engine) as uow:
        install_templates(uow, joined)
        uow.commit()
    started = time.perf_counter()
    seed_members(engine, PLAN, args.members, joined)
    count = seed_balances(engine, joined + timedelta(days=1))
    print(f"seeded {count:,} members with {BALANCE / 100:.2f} yuan each "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    notice = date(2026, 7, 10)
    given = datetime(2026, 7, 9, 12, tzinfo=CHINA_TZ)
    with UnitOfWork(engine) as uow:
        shutdown.close_plan(uow, SandboxGateway(uow.conn), PLAN, notice, date(2026, 7, 31), given)
        uow.commit()
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    due = datetime(2026, 7, 10, 9, tzinfo=CHINA_TZ)
    t0 = time.perf_counter()
    with UnitOfWork(engine) as uow:
        refunds = shutdown.refund_members(uow, SandboxGateway(uow.conn), PLAN, due)
        uow.commit()
    elapsed = time.perf_counter() - t0
    assert refunds.members == count and refunds.balances == BALANCE * count, refunds
    print(
        f"refunded {refunds.members:,} members ({refunds.balances / 100:,.2f} yuan) in "
        f"{elapsed:.2f} s = {refunds.members / elapsed:,.0f} members/s "
        f"(one query, one ledger transaction, batches of {BATCH:,} transfers)"
    )
    print(f"after: {load()}")


if __name__ == "__main__":
    main()
