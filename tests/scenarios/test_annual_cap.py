"""The annual cap across a year of rounds: cheap uniform rounds while the cap cannot bind, exact
per-member totals once it can, on both databases."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select
from test_brief import approve, run, small_plan, submit

from helpers import at, install, join_many, join_one, publish_text
from huzhu.services.audit.service import audit
from huzhu.storage.tables import member_charges
from huzhu.storage.uow import UnitOfWork


def charges_by_member(engine: Engine, round_id: int) -> dict[int, tuple[int, int | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(member_charges.c.membership_id, member_charges.c.amount,
                   member_charges.c.year_total).where(member_charges.c.round_id == round_id)
        )  # fmt: skip
        return {r[0]: (r[1], r[2]) for r in rows}


def test_rounds_stay_uniform_until_the_cap_can_bind_then_track_each_member(engine: Engine) -> None:
    install(engine, at("2025-01-01"))
    publish_text(
        engine, small_plan("cap60", "1000", 'per_year_per_member = "60"'), at("2025-01-01")
    )
    claimants = [
        join_one(engine, "cap60", at("2025-02-01"), n=k, birth=date(1980, 1, k))
        for k in range(1, 5)
    ]
    join_many(engine, "cap60", 40, at("2025-02-01"))
    days = ["2026-01-11", "2026-01-21", "2026-02-11", "2026-02-21"]
    shares, rounds = [], []
    late = None
    for i, (claimant, day) in enumerate(zip(claimants, days, strict=True)):
        if i == 1:  # joins after round 1: has paid less this year when the cap starts to bind
            late = join_one(engine, "cap60", at("2026-01-12"), n=77, birth=date(1985, 5, 5))
        announce = date.fromisoformat(day)
        diagnosed = announce.replace(day=announce.day - 8).isoformat()
        claim = submit(engine, claimant.membership_id, "CI-03", diagnosed, diagnosed)
        approve(engine, claim.id or 0, diagnosed)
        outcome = run(engine, "cap60", day)
        rounds.append(outcome.round)
        shares.append(outcome.round.figures.share)
    assert late is not None
    # 108,000 fen among 43 locked members: 2,512 fen a round. Two rounds (5,024) fit under the
    # 6,000 cap, so they are uniform; the third can bind, so from then on each member's running
    # total is tracked, and the member who joined late still has room when others have none.
    year: dict[int, int] = {}
    for r, share in zip(rounds, shares, strict=True):
        written = charges_by_member(engine, r.id)
        assert sum(amount for amount, _ in written.values()) == r.figures.collected
        for membership_id, (amount, total) in written.items():
            expected = max(0, min(share, 6_000 - year.get(membership_id, 0)))
            assert amount == expected, (r.announce_date, membership_id)
            year[membership_id] = year.get(membership_id, 0) + amount
            assert total in (None, year[membership_id])
        tracked = {total is not None for _, total in written.values()}
        assert tracked == ({False} if r.announce_date.month == 1 else {True})
        assert r.figures.collected + r.figures.backstop - r.figures.surplus == (
            r.figures.payouts + r.figures.fee - r.figures.carry_in
        )
    assert year[late.membership_id] == 6_000 and year[claimants[3].membership_id] == 6_000
    with UnitOfWork(engine) as uow:
        assert audit(uow).ok


def test_a_cap_that_cannot_bind_keeps_rounds_uniform(engine: Engine) -> None:
    install(engine, at("2025-01-01"))
    publish_text(engine, small_plan("cap-high", "1000", 'per_year_per_member = "500"'),
                 at("2025-01-01"))  # fmt: skip
    claimants = [
        join_one(engine, "cap-high", at("2025-02-01"), n=k, birth=date(1980, 1, k)) for k in (1, 2)
    ]
    join_many(engine, "cap-high", 20, at("2025-02-01"))
    figures = []
    for claimant, day in zip(claimants, ("2026-01-11", "2026-01-21"), strict=True):
        announce = date.fromisoformat(day)
        diagnosed = announce.replace(day=announce.day - 8).isoformat()
        claim = submit(engine, claimant.membership_id, "CI-03", diagnosed, diagnosed)
        approve(engine, claim.id or 0, diagnosed)
        outcome = run(engine, "cap-high", day)
        figures.append(outcome.round)
        written = charges_by_member(engine, outcome.round.id)
        # Uniform: no running totals written, everyone owes the share.
        assert {total for _, total in written.values()} == {None}
        assert {amount for amount, _ in written.values()} == {outcome.round.figures.share}
    assert figures[1].year_max == figures[0].figures.share + figures[1].figures.share
