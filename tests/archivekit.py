"""A post-paid plan with two settled rounds, ready to archive, and what a member sees of it.

Meituan's calendar (announce the 1st, 11th and 21st, collect four days later), in January 2026:
a 1,000-yuan claim shared on the 11th and another on the 21st. One member's account is always
empty (retried for three days, written off, then they leave for non-payment), one member leaves
before the first collection (waived). Everything is collected, answered, paid and reconciled, so
`huzhu audit` passes; archiving happens "now", in 2027.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select

from helpers import at
from huzhu.domain.merkle import verify_proof
from huzhu.services.members.service import leave
from huzhu.services.members.statement import statement
from huzhu.services.money import collection, payouts, reconcile
from huzhu.services.record.merkle_proofs import prove, publish_round_proofs
from huzhu.storage.tables import member_charges
from huzhu.storage.tables_archive import ARCHIVE_SCHEMA
from huzhu.storage.uow import UnitOfWork
from money.moneykit import Sandbox, approve, assert_audit_passes, build, run, submit_claim

PLAN = "pp"
FIRST, SECOND = date(2026, 1, 11), date(2026, 1, 21)
NOW = at("2027-01-05")  # archiving happens the next year


@dataclass(frozen=True)
class Settled:
    first: int  # round ids
    second: int
    members: list[int]  # every membership, claimants included
    stubborn: int  # written off for non-payment in the first round
    leaver: int  # left before the first collection: waived
    charges: dict[int, list[tuple[int, int]]]  # round id -> (membership, amount), while hot


def _collect_and_pay(engine: Engine, box: Sandbox, announced: date, collect_day: str) -> None:
    collection.collect(engine, box, PLAN, announced, at(collect_day), batch_size=15)
    box.drain(at(collect_day))
    with UnitOfWork(engine) as uow:
        payouts.run_payouts(uow, box(uow.conn), PLAN, announced, at(collect_day, 11))
        uow.commit()
    box.drain(at(collect_day, 11))


def build_settled(engine: Engine, members: int = 40) -> Settled:
    w = build(engine, "meituan-huzhu", PLAN, members)
    stubborn, leaver = w.members[3], w.members[7]
    box = Sandbox(engine)
    box.set(failure_bp=0, fail_members=frozenset({stubborn}))
    first = run(engine, PLAN, FIRST.isoformat()).round.id
    with UnitOfWork(engine) as uow:
        leave(uow, leaver, at("2026-01-12"))
        uow.commit()
    # The first round's root is published when it runs; the second's only when it is archived.
    with UnitOfWork(engine) as uow:
        publish_round_proofs(uow, first, at("2026-01-11", 13))
        uow.commit()
    _collect_and_pay(engine, box, FIRST, "2026-01-15")
    claim = submit_claim(engine, w.members[0], "2026-01-16", "2026-01-17")
    approve(engine, claim, "2026-01-18")
    for day in ("2026-01-16", "2026-01-17", "2026-01-18", "2026-01-19"):
        collection.retry(engine, box, PLAN, at(day))
        box.drain(at(day))
    second = run(engine, PLAN, SECOND.isoformat()).round.id
    _collect_and_pay(engine, box, SECOND, "2026-01-25")
    for day in range(15, 27):
        with UnitOfWork(engine) as uow:
            stamp = date(2026, 1, day)
            reconcile.reconcile(uow, box(uow.conn), stamp, at(stamp.isoformat(), 23))
            uow.commit()
    assert_audit_passes(engine)
    charges = {r: charges_of(engine, r) for r in (first, second)}
    return Settled(first, second, [w.claimant, *w.members], stubborn, leaver, charges)


def statements(engine: Engine, s: Settled) -> dict[int, Any]:
    """What each member's statement says: lines, total paid, people helped, balance."""
    seen = {}
    with UnitOfWork(engine) as uow:
        for m in s.members:
            st = statement(uow, m, NOW)
            seen[m] = (
                [(x.round_id, x.announce_date, x.amount, x.cases) for x in st.lines],
                st.total_paid,
                st.people_helped,
                st.balance,
                {k: v for k, v in st.collection.items()},
                # what GET /v1/rounds/{id}/my-charges reads, round by round
                [uow.archive.charge_of(r, m) for r in (s.first, s.second)],
            )
    return seen


def proofs(engine: Engine, s: Settled) -> dict[tuple[int, int], Any]:
    """Every charged member's inclusion proof in both rounds, as JSON, each checked offline."""
    found = {}
    with UnitOfWork(engine) as uow:
        for round_id, rows in s.charges.items():
            for m, amount in rows:
                proof = prove(uow, round_id, m)
                assert verify_proof(proof) and proof.amount == amount
                found[(round_id, m)] = json.dumps(proof.to_dict(), sort_keys=True)
    return found


def charges_of(engine: Engine, round_id: int) -> list[tuple[int, int]]:
    """(membership, amount) charged in a round that is still hot."""
    with engine.connect() as conn:
        return [
            (int(m), int(a))
            for m, a in conn.execute(
                select(member_charges.c.membership_id, member_charges.c.amount)
                .where(member_charges.c.round_id == round_id)
                .order_by(member_charges.c.membership_id)
            )
        ]


def hot_rows(engine: Engine, round_id: int) -> int:
    with engine.connect() as conn:
        q = select(func.count()).where(member_charges.c.round_id == round_id)
        return int(conn.scalar(q) or 0)


def archive_table(engine: Engine, round_id: int) -> str:
    if engine.dialect.name == "postgresql":
        return f"{ARCHIVE_SCHEMA}.member_charges_r{round_id}"
    return "member_charges_archive"
