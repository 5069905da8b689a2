"""Issue 9, the plan lifecycle: closing a plan (README, "Shutdown").

A prepaid plan of three members and a claimant; the round of 7 January charges each member their
share from a 500-yuan balance, then the operator closes the plan with notice on 10 January and
cover ending on 31 January."""

from __future__ import annotations

from datetime import date

import pytest
from moneykit import Sandbox, approve, balance, build, reconcile_and_audit, run, submit_claim
from sqlalchemy import Engine, select

from helpers import at, join_one
from huzhu.domain.claims import ClaimState
from huzhu.domain.errors import Conflict, InvalidInput, RuleViolation
from huzhu.gateways.sandbox import sandbox_requests
from huzhu.messages import render
from huzhu.services.claims import service as claim_svc
from huzhu.services.claims import submission
from huzhu.services.members.statement import statement
from huzhu.services.money import payouts
from huzhu.services.money.ledger import top_up
from huzhu.services.plans import shutdown
from huzhu.services.record.verify import verify
from huzhu.storage.uow import UnitOfWork

PLAN = "closing"
SHARE = 1000_00 * 108 // 100 // 3  # one 1,000-yuan claim among three members: 360 yuan each
HELD = 500_00 - SHARE  # what each member holds after the round


def world(engine: Engine) -> tuple[list[int], Sandbox]:
    w = build(engine, "qingsong-huzhu", PLAN, 3)
    with UnitOfWork(engine) as uow:
        for i, m in enumerate(w.members):
            top_up(uow, m, 500_00, f"t{i}", at("2026-01-02"))
        uow.commit()
    assert run(engine, PLAN, "2026-01-07").round.figures.collected == 3 * SHARE
    box = Sandbox(engine)
    box.set(failure_bp=0, payout_failure_bp=0)
    with UnitOfWork(engine) as uow:
        payouts.run_payouts(uow, box(uow.conn), PLAN, date(2026, 1, 7), at("2026-01-07", 15))
        uow.commit()
    box.drain(at("2026-01-07", 15))
    return w.members, box


def close(
    engine: Engine, box: Sandbox, now: str, *, notice: str = "2026-01-10", past: bool = False
) -> shutdown.ClosingOutcome:
    with UnitOfWork(engine) as uow:
        done = shutdown.close_plan(
            uow, box(uow.conn), PLAN, date.fromisoformat(notice), date(2026, 1, 31), at(now),
            refund_past_shares=past,
        )  # fmt: skip
        uow.commit()
    return done


def refunds_sent(engine: Engine) -> dict[int, int]:
    with UnitOfWork(engine) as uow:
        rows = uow.conn.execute(
            select(sandbox_requests.c.payload, sandbox_requests.c.amount).where(
                sandbox_requests.c.ref.like(f"{PLAN}-refund-%")
            )
        )
        return {int(p["membership_id"]): int(a) for p, a in rows}


def claim(engine: Engine, membership_id: int, diagnosed: str, now: str) -> claim_svc.Claim:
    with UnitOfWork(engine) as uow:
        made = submission.submit(
            uow,
            submission.ClaimRequest(
                membership_id=membership_id, condition_code="CI-01",
                diagnosis_date=date.fromisoformat(diagnosed), hospital="北京协和医院",
                evidence=("report.pdf",),
            ),
            at(now),
        )  # fmt: skip
        uow.commit()
    return made


def test_closing_refunds_balances_through_the_gateway_and_the_books_still_balance(
    engine: Engine,
) -> None:
    members, box = world(engine)
    done = close(engine, box, "2026-01-10")
    assert done.refunds == shutdown.Refunds(3, 3 * HELD, 0)
    assert refunds_sent(engine) == {m: HELD for m in members}
    with UnitOfWork(engine) as uow:
        assert [uow.ledger.member_balance(m) for m in members] == [0, 0, 0]
    box.drain(at("2026-01-10", 12))  # the gateway answers: paid
    reconcile_and_audit(engine, box, "2026-01-02", "2026-01-07", "2026-01-10")
    assert balance(engine, f"{PLAN}:gateway-clearing") == 0
    with UnitOfWork(engine) as uow:
        report = verify(uow)
        assert report.ok, [c.problems for c in report.checks if not c.ok]
        # a second refund run sends nothing more
        again = shutdown.refund_members(uow, box(uow.conn), PLAN, at("2026-01-11"))
    assert again.already_done and len(refunds_sent(engine)) == 3


def test_the_operator_can_refund_every_past_share(engine: Engine) -> None:
    members, box = world(engine)
    funded = balance(engine, f"{PLAN}:operator-funding")
    done = close(engine, box, "2026-01-10", past=True)
    assert done.refunds == shutdown.Refunds(3, 3 * HELD, 3 * SHARE)
    # Each gets back the whole 500 yuan: what was left and the share they paid.
    assert refunds_sent(engine) == {m: 500_00 for m in members}
    assert balance(engine, f"{PLAN}:operator-funding") == funded - 3 * SHARE
    box.drain(at("2026-01-10", 12))
    reconcile_and_audit(engine, box, "2026-01-02", "2026-01-07", "2026-01-10")
    assert balance(engine, f"{PLAN}:cash") >= 0


def test_from_the_notice_no_one_joins_and_the_operator_pays_every_round(engine: Engine) -> None:
    members, box = world(engine)
    close(engine, box, "2026-01-09", notice="2026-01-10")  # notice given for tomorrow
    assert refunds_sent(engine) == {}  # refunds go out from the notice date
    join_one(engine, PLAN, at("2026-01-09"), n=50)  # the day before the notice: still open
    with pytest.raises(RuleViolation) as refused:
        join_one(engine, PLAN, at("2026-01-10"), n=51)
    assert refused.value.code == "plan-closing"
    with UnitOfWork(engine) as uow:
        sent = shutdown.refund_members(uow, box(uow.conn), PLAN, at("2026-01-10"))
        uow.commit()
    assert sent.members == 3
    box.drain(at("2026-01-10"))
    claim_id = submit_claim(engine, members[0], "2026-01-12", "2026-01-13")
    approve(engine, claim_id, "2026-01-14")
    figures = run(engine, PLAN, "2026-01-21").round.figures
    assert (figures.cases, figures.collected) == (1, 0)
    assert figures.backstop == figures.payouts + figures.fee - figures.carry_in
    with UnitOfWork(engine) as uow:
        s = statement(uow, members[1], at("2026-01-22"))
    assert [line.amount for line in s.lines] == [SHARE]  # nothing charged after the notice
    assert not any("top up" in n for n in s.notices)
    assert any("claimed until 2026-07-30" in n for n in s.notices)
    assert [(p.announce_date, p.reason) for p in s.operator_paid] == [
        (date(2026, 1, 21), "shutdown")
    ]
    with UnitOfWork(engine) as uow:
        payouts.run_payouts(uow, box(uow.conn), PLAN, date(2026, 1, 21), at("2026-01-21", 15))
        uow.commit()
    box.drain(at("2026-01-21", 15))
    reconcile_and_audit(engine, box, "2026-01-02", "2026-01-07", "2026-01-10", "2026-01-21")
    with UnitOfWork(engine) as uow:
        assert verify(uow).ok


def test_claims_are_taken_for_180_days_after_the_end_for_illness_before_it(
    engine: Engine,
) -> None:
    members, box = world(engine)
    close(engine, box, "2026-01-10")
    # 31 January + 180 days = 30 July: the last day a claim is taken.
    inside = claim(engine, members[0], "2026-01-30", "2026-07-30")
    assert inside.state is ClaimState.SUBMITTED
    after_end = claim(engine, members[1], "2026-01-31", "2026-02-02")
    assert (after_end.state, after_end.reason_code) == (ClaimState.REJECTED, "cover-ended")
    with pytest.raises(RuleViolation) as late:
        claim(engine, members[2], "2026-01-30", "2026-07-31")
    assert late.value.code == "claim-window-closed"
    assert late.value.status == 409


def test_a_plan_closes_once_and_never_ends_before_its_notice(engine: Engine) -> None:
    _, box = world(engine)
    with pytest.raises(InvalidInput) as reversed_, UnitOfWork(engine) as uow:
        shutdown.close_plan(
            uow, box(uow.conn), PLAN, date(2026, 2, 1), date(2026, 1, 31), at("2026-01-10")
        )
    assert reversed_.value.code == "end-before-notice"
    close(engine, box, "2026-01-10")
    with pytest.raises(Conflict) as twice:
        close(engine, box, "2026-01-11")
    assert (twice.value.code, twice.value.status) == ("plan-closed", 409)
    assert len(refunds_sent(engine)) == 3
    box.drain(at("2026-01-10", 12))
    reconcile_and_audit(engine, box, "2026-01-02", "2026-01-07", "2026-01-10")


def test_no_top_up_from_the_notice_and_no_notice_before_a_round_already_run(
    engine: Engine,
) -> None:
    members, box = world(engine)
    with pytest.raises(InvalidInput) as early:
        close(engine, box, "2026-01-10", notice="2026-01-07")  # the round of the 7th charged
    assert early.value.code == "notice-before-last-round"
    close(engine, box, "2026-01-10")
    with pytest.raises(RuleViolation) as topped, UnitOfWork(engine) as uow:
        top_up(uow, members[0], 10_00, "late", at("2026-01-11"))
    assert topped.value.code == "plan-closing"
    with UnitOfWork(engine) as uow:
        assert uow.ledger.member_balance(members[0]) == 0


def test_every_member_is_told_of_the_closing_in_their_language(engine: Engine) -> None:
    members, box = world(engine)
    close(engine, box, "2026-01-08")
    with UnitOfWork(engine) as uow:
        people = [uow.memberships.get(m).person_id for m in members]
        told = uow.inbox.page(people, after_id=0, limit=50)
    closing = [m for m in told if m.kind == shutdown.CLOSING_KIND]
    assert sorted(m.person_id for m in closing) == sorted(people)
    zh, en = (
        render(closing[0].kind, closing[0].params, "zh"),
        render(closing[0].kind, closing[0].params, "en"),
    )
    assert "2026-01-10" in zh.body and "2026-07-30" in zh.body and "运营方" in zh.body
    assert en.title == f"{PLAN} is closing" and "2026-01-31" in en.body
