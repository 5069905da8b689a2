"""A prepaid member's statement lists the money into and out of their balance (deposit, top-ups,
refunds, dormancy fees), read from the family account's credits and paged by keyset; with the
charges it accounts for the balance. A post-paid statement has no such list."""

from __future__ import annotations

from datetime import date

from moneykit import Sandbox, approve, build, run, submit_claim
from sqlalchemy import Engine

from helpers import at, healthy, id_number, install, join_one
from huzhu.domain.balance_moves import mask_ref
from huzhu.domain.plan_fields import CHINA_TZ
from huzhu.services.members import prepaid
from huzhu.services.members.balance_moves import balance_moves, next_before
from huzhu.services.members.service import JoinRequest, PersonDetails, join
from huzhu.services.members.statement import statement
from huzhu.services.money.ledger import top_up
from huzhu.services.plans import shutdown
from huzhu.storage.uow import UnitOfWork
from money.test_dormancy import job as dormancy_job
from money.test_dormancy import left_with
from money.test_family_order import charged, family
from money.test_shutdown import HELD, close
from money.test_shutdown import PLAN as CLOSING
from money.test_shutdown import world as shutdown_world

PLAN = "qingsong-huzhu"  # a 10-yuan deposit asked through the gateway on joining


def prepaid_member(engine: Engine) -> int:
    """A member who joined through the gateway (deposit), topped up through it once and
    directly once, then was charged by a round."""
    install(engine, at("2025-08-01"))
    claimant = join_one(engine, PLAN, at("2025-09-01"), n=7, birth=date(1985, 1, 1))
    with UnitOfWork(engine) as uow:  # joined without a gateway: pays the deposit at the counter
        top_up(uow, claimant.membership_id, 1000, "claimant", at("2025-09-01"))
        uow.commit()
    box = Sandbox(engine)
    box.set(failure_bp=0)
    person = PersonDetails(id_number=id_number(40, date(1990, 1, 1)), name="吴小漫")
    request = JoinRequest(plan_id=PLAN, person=person, health_answers=healthy(engine, PLAN),
                          deposit_key="app-1")  # fmt: skip
    with UnitOfWork(engine) as uow:
        mid = join(uow, request, at("2025-12-01"), gateway=box(uow.conn)).membership_id
        uow.commit()
    box.drain(at("2025-12-01"))
    with UnitOfWork(engine) as uow:
        prepaid.request_top_up(uow, box(uow.conn), mid, 2000, "app-2", at("2025-12-20"))
        uow.commit()
    box.drain(at("2025-12-20"))
    with UnitOfWork(engine) as uow:
        top_up(uow, mid, 3050, "counter", at("2026-01-02", 23))
        uow.commit()
    approve(engine, submit_claim(engine, claimant.membership_id, "2026-01-03", "2026-01-04"),
            "2026-01-05")  # fmt: skip
    run(engine, PLAN, "2026-01-07")
    return mid


def test_a_prepaid_statement_lists_the_deposit_and_top_ups_and_they_account_for_the_balance(
    engine: Engine,
) -> None:
    mid = prepaid_member(engine)
    with UnitOfWork(engine) as uow:
        s = statement(uow, mid, at("2026-01-08"))
    assert s.moves is not None and s.moves_next is None
    assert [(m.kind, m.amount) for m in s.moves] == [
        ("top-up", 3050), ("top-up", 2000), ("deposit", 1000)
    ]  # fmt: skip
    assert s.total_paid > 0  # the round charged the member
    assert s.balance == sum(m.amount for m in s.moves) - s.total_paid
    # 23:00 on 2 January in Beijing is 15:00 UTC: the statement shows the Beijing date
    assert s.moves[0].at.astimezone(CHINA_TZ).date() == date(2026, 1, 2)
    direct, asked, deposit = s.moves
    assert direct.ref is None  # credited at the counter: no gateway
    assert asked.ref and deposit.ref and asked.ref != deposit.ref
    assert asked.ref.startswith(f"{PLAN}-topup-") and deposit.ref.startswith(f"{PLAN}-topup-")


def test_the_moves_are_paged_by_keyset_newest_first(engine: Engine) -> None:
    mid = prepaid_member(engine)
    with UnitOfWork(engine) as uow:
        everything = balance_moves(uow, mid)
        first = balance_moves(uow, mid, 0, 2)
        before = next_before(first, 2)
        assert before is not None
        rest = balance_moves(uow, mid, before, 2)
        assert next_before(rest, 2) is None
        s = statement(uow, mid, at("2026-01-08"), moves_before=before, moves_limit=2)
    assert first + rest == everything and len(everything) == 3
    assert s.moves == rest and s.moves_next is None


def test_a_post_paid_statement_has_no_balance_moves(engine: Engine) -> None:
    build(engine, "xiang-hu-bao", "post", 2)
    member = join_one(engine, "post", at("2025-09-02"), n=41)
    with UnitOfWork(engine) as uow:
        s = statement(uow, member.membership_id, at("2025-09-03"))
    assert s.moves is None and s.moves_next is None


def test_a_refund_reference_names_no_membership() -> None:
    assert mask_ref("pre-refund-m1234") == "pre-refund-m***"
    assert mask_ref("pre-refund-m1234-a2") == "pre-refund-m***-a2"
    assert mask_ref("pre-topup-0a1b2c") == "pre-topup-0a1b2c"
    assert mask_ref(None) is None


def test_a_family_account_shows_the_same_moves_to_the_payer_and_a_dependant(
    engine: Engine,
) -> None:
    """The payer and dependants share one balance (storage.repositories.members.family): each
    sees every move of it; the balance is the account's credits minus all its charges."""
    payer, first, second = family(engine)
    with UnitOfWork(engine) as uow:
        top_up(uow, first, 500, "pocket-money", at("2025-10-01"))
        top_up(uow, payer, 300_000, "payer", at("2025-10-02"))
        uow.commit()
    run(engine, "pre", "2026-01-07")
    with UnitOfWork(engine) as uow:
        mine, childs = (
            statement(uow, payer, at("2026-01-08")),
            statement(uow, second, at("2026-01-08")),
        )
        stranger = balance_moves(uow, 1)  # the first member of the plan, of another account
    assert mine.moves is not None and childs.moves == mine.moves
    assert [(m.membership_id, m.kind, m.amount) for m in mine.moves] == [
        (payer, "top-up", 300_000), (first, "top-up", 500)
    ]  # fmt: skip
    assert mine.balance == childs.balance == 300_500 - sum(charged(engine, payer, first, second))
    assert sum(charged(engine, payer, first, second)) > 0
    assert not {m.membership_id for m in stranger} & {payer, first, second}


def test_dormancy_fees_and_their_refunds_show_on_the_returning_members_statement(
    engine: Engine,
) -> None:
    build(engine, "qingsong-huzhu", "pre", 2)
    gone = left_with(engine, 1000)
    for day in ("2026-01-10", "2026-04-10"):
        dormancy_job(engine, day)
    back = join_one(engine, "pre", at("2026-05-01"), n=41).membership_id  # the same person
    dormancy_job(engine, "2026-05-02")
    with UnitOfWork(engine) as uow:
        s = statement(uow, back, at("2026-05-03"))
    assert s.moves is not None
    assert [(m.membership_id, m.kind, m.amount) for m in s.moves] == [
        (gone, "dormancy-refund", 200), (gone, "dormancy-refund", 200),
        (gone, "dormancy-fee", -200), (gone, "dormancy-fee", -200), (gone, "top-up", 1000),
    ]  # fmt: skip
    assert all(m.ref is None for m in s.moves)  # booked by the plan, not through the gateway
    assert s.balance == sum(m.amount for m in s.moves) == 1000


def test_a_shutdown_refund_that_failed_and_was_sent_again_shows_with_masked_references(
    engine: Engine,
) -> None:
    members, box = shutdown_world(engine)
    box.set(payout_failure_bp=10_000)  # the first transfers fail
    close(engine, box, "2026-01-10")
    box.drain(at("2026-01-10", 12))
    box.set(payout_failure_bp=0)
    with UnitOfWork(engine) as uow:
        shutdown.refund_members(uow, box(uow.conn), CLOSING, at("2026-01-11"))
        uow.commit()
    m = members[0]
    with UnitOfWork(engine) as uow:
        s = statement(uow, m, at("2026-01-12"))
    assert s.moves is not None
    assert [(x.kind, x.amount, x.ref) for x in s.moves[:3]] == [
        ("refund", -HELD, f"{CLOSING}-refund-m***-a2"),
        ("refund-failed", HELD, f"{CLOSING}-refund-m***"),
        ("refund", -HELD, f"{CLOSING}-refund-m***"),
    ]
    assert all(f"-m{m}" not in (x.ref or "") for x in s.moves)
    assert s.balance == 0 == sum(x.amount for x in s.moves) - s.total_paid
