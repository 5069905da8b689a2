"""Issue 9, family debit order: a payer's prepaid account pays the payer's own share first, then
their dependants' in order of joining (joined_at, then membership id); whoever comes later is the
one left short, and the one whose cover is suspended."""

from __future__ import annotations

from datetime import date

from moneykit import assert_audit_passes, build, run
from sqlalchemy import Engine, select

from helpers import at, healthy, id_number
from huzhu.domain.members import Lifecycle
from huzhu.services.members import prepaid
from huzhu.services.members.service import JoinRequest, PersonDetails, find_or_register, join
from huzhu.services.members.statement import statement
from huzhu.services.money.ledger import top_up
from huzhu.storage.repositories.members.family import (
    FamilyRepository,
    account_balances,
    positions,
)
from huzhu.storage.tables import member_charges
from huzhu.storage.uow import UnitOfWork

PAYER = id_number(31, date(1985, 3, 1))
SHARE = 1000_00 * 108 // 100 // 5  # 216 yuan a head: two members and the family of three


def family(engine: Engine) -> tuple[int, int, int]:
    """(payer, first dependant, second dependant) memberships of plan "pre". The second
    dependant's membership is made first but dated later, and the payer's last of all, so
    that neither membership ids nor joining alone give family order."""
    build(engine, "qingsong-huzhu", "pre", 2)
    with UnitOfWork(engine) as uow:
        find_or_register(uow, PersonDetails(id_number=PAYER, name="吴大山"), at("2025-09-01"))
        uow.commit()
    ids, answers = {}, healthy(engine, "pre")
    for n, day in ((33, "2025-09-04"), (32, "2025-09-03"), (31, "2025-09-05")):
        child = n != 31
        birth = date(2015, 6, 1) if child else date(1985, 3, 1)
        with UnitOfWork(engine) as uow:
            result = join(
                uow,
                JoinRequest(
                    plan_id="pre",
                    person=PersonDetails(id_number=id_number(n, birth), name=f"吴{n}"),
                    health_answers=answers,
                    guardian_id_number=PAYER if child else None,
                ),
                at(day),
            )
            uow.commit()
        ids[n] = result.membership_id
    assert ids[33] < ids[32] < ids[31]
    return ids[31], ids[32], ids[33]


def charged(engine: Engine, *memberships: int) -> list[int]:
    with UnitOfWork(engine) as uow:
        amounts = dict(
            uow.conn.execute(
                select(member_charges.c.membership_id, member_charges.c.amount).where(
                    member_charges.c.membership_id.in_(memberships)
                )
            ).all()
        )
    return [int(amounts.get(m, 0)) for m in memberships]


def test_a_partial_balance_pays_the_payer_then_dependants_in_order_of_joining(
    engine: Engine,
) -> None:
    payer, first, second = family(engine)
    with UnitOfWork(engine) as uow:  # the payer tops up for the family: not enough for three
        top_up(uow, payer, SHARE + 100_00, "family", at("2025-12-01"))
        uow.commit()
    figures = run(engine, "pre", "2026-01-07").round.figures
    assert figures.share == SHARE
    assert charged(engine, payer, first, second) == [SHARE, 100_00, 0]
    assert figures.collected == SHARE + 100_00
    assert_audit_passes(engine)


def test_the_balance_left_keeps_cover_in_family_order(engine: Engine) -> None:
    payer, first, second = family(engine)
    with UnitOfWork(engine) as uow:  # everyone pays; 2 fen are left: the minimum (1 fen) for two
        top_up(uow, second, 3 * SHARE + 2, "family", at("2025-12-01"))
        uow.commit()
    run(engine, "pre", "2026-01-07")
    assert charged(engine, payer, first, second) == [SHARE, SHARE, SHARE]
    with UnitOfWork(engine) as uow:
        prepaid.after_round(uow, "pre", date(2026, 1, 7), at("2026-01-07", 13))
        uow.commit()
        states = [uow.memberships.get(m).lifecycle for m in (payer, first, second)]
    assert states == [Lifecycle.ACTIVE, Lifecycle.ACTIVE, Lifecycle.SUSPENDED]
    with UnitOfWork(engine) as uow:  # each statement shows what the account holds
        shown = [statement(uow, m, at("2026-01-08")).balance for m in (payer, first, second)]
    assert shown == [2, 2, 2]
    assert_audit_passes(engine)
    with UnitOfWork(engine) as uow:  # a top-up on any membership of the account lifts it
        top_up(uow, payer, 1, "again", at("2026-01-08"))
        uow.commit()
        assert uow.memberships.get(second).lifecycle is Lifecycle.ACTIVE


def test_one_account_is_read_alone_and_gives_the_places_and_balance_of_the_whole_plan(
    engine: Engine,
) -> None:
    """A top-up's reactivation reads the payer's family only (its cost must not grow with the
    plan: the demo's 1,000 prepaid members spent most of its time here), and what it reads is
    what the whole plan's accounts give."""
    payer, first, second = family(engine)
    with UnitOfWork(engine) as uow:
        top_up(uow, payer, SHARE + 100_00, "family", at("2025-12-01"))
        uow.commit()
    run(engine, "pre", "2026-01-07")
    with UnitOfWork(engine) as uow:
        whole = {r.id: (r.payer, r.place) for r in uow.conn.execute(select(positions("pre")))}
        held = {r.payer: r.held for r in uow.conn.execute(select(account_balances("pre")))}
        person = whole[payer][0]
        assert {m: p for m, (of, p) in whole.items() if of == person} == {
            payer: 1,
            first: 2,
            second: 3,
        }
        repo = FamilyRepository(uow.conn)
        for membership_id, (of, place) in whole.items():
            assert repo.place_and_balance(membership_id) == (place, held[of])
        assert repo.account_of(second) == [payer, first, second]
        assert repo.account_of(next(m for m in whole if whole[m][0] != person)) != [payer]
