"""The storage contract: what every repository promises, checked on SQLite and on PostgreSQL alike.

Each test takes `engine`, so it runs once per database; a behaviour that differs between the two
databases is a bug in the storage layer, not in the test.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from helpers import at, id_number, install, join_many, join_one, publish_text
from huzhu.domain.chain import GENESIS
from huzhu.domain.errors import Conflict, InvalidInput, RuleViolation
from huzhu.domain.identity import Sex
from huzhu.domain.ledger import AccountKind, Posting, Transaction, account_code
from huzhu.domain.members import LeaveReason, Lifecycle, Person
from huzhu.domain.plan_fields import CHINA_TZ
from huzhu.plans.loader import template_text
from huzhu.services.claims import decisions, submission
from huzhu.services.members import service as member_svc
from huzhu.services.money.ledger import top_up
from huzhu.services.rounds.service import run_round
from huzhu.storage.tables import (
    ledger_accounts,
    ledger_heads,
    ledger_postings,
    ledger_transactions,
    member_charges,
    member_credits,
    membership_events,
    memberships,
    people,
)
from huzhu.storage.uow import UnitOfWork

XHB = "xiang-hu-bao"


# --- small local builders ------------------------------------------------------------------------


def revision(version: int, effective_from: str, *, fee_bp: int = 600) -> str:
    """A new version of the Xiang Hu Bao template with a lower fee and a `changes` line."""
    text_ = template_text(XHB)
    assert "\nversion = 1\n" in text_ and "effective_from = 2018-10-16" in text_
    text_ = text_.replace("\nversion = 1\n", f"\nversion = {version}\n")
    changes = f'changes = "Fee lowered to {fee_bp / 100:g}% of payouts."'
    text_ = text_.replace(
        "effective_from = 2018-10-16", f"effective_from = {effective_from}\n{changes}"
    )
    return text_.replace("management_fee_bp = 800", f"management_fee_bp = {fee_bp}")


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


def snapshot(engine: Engine, table: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
    return [tuple(r) for r in rows]


def head(engine: Engine, plan_id: str) -> tuple[str, int]:
    with engine.connect() as conn:
        row = conn.execute(
            select(ledger_heads.c.digest, ledger_heads.c.length).where(
                ledger_heads.c.plan_id == plan_id
            )
        ).one()
    return row.digest, int(row.length)


def credit(engine: Engine, membership_id: int, amount: int, key: str, now: datetime) -> int:
    with UnitOfWork(engine) as uow:
        txn = top_up(uow, membership_id, amount, key, now)
        uow.commit()
    return txn


def accident_round(engine: Engine, claimant: int) -> int:
    """Xiang Hu Bao covers accidents from day one: a claim, its approval and a round."""
    with UnitOfWork(engine) as uow:
        claim = submission.submit(
            uow,
            submission.ClaimRequest(claimant, "AC-01", date(2026, 1, 3), "北京协和医院"),
            at("2026-01-04"),
        )
        decisions.approve(uow, claim.id or 0, "reviewer", at("2026-01-05"))
        outcome = run_round(uow, XHB, date(2026, 1, 7), at("2026-01-07", 12))
        uow.commit()
    return outcome.round.id


def ledger_history(engine: Engine) -> dict[str, int]:
    """Members with top-ups and one round that charges them: every append-only table has rows."""
    install(engine, at("2026-01-01"))
    claimant = join_one(engine, XHB, at("2026-01-02"), n=1, birth=date(1990, 1, 1))
    saver = join_one(engine, XHB, at("2026-01-02"), n=2, birth=date(1991, 2, 2))
    join_many(engine, XHB, 10, at("2026-01-02"))
    credit(engine, saver.membership_id, 1_000, "deposit", at("2026-01-02", 11))
    round_id = accident_round(engine, claimant.membership_id)
    return {"claimant": claimant.membership_id, "saver": saver.membership_id, "round": round_id}


# --- plans ---------------------------------------------------------------------------------------


def test_the_version_in_force_is_chosen_by_effective_date(engine: Engine) -> None:
    install(engine, at("2026-01-01"))
    v2 = revision(2, "2026-03-01")
    publish_text(engine, v2, at("2026-02-01"))
    with UnitOfWork(engine) as uow:
        before = uow.plans.get(XHB, on=date(2026, 2, 28))
        after = uow.plans.get(XHB, on=date(2026, 3, 1))
        newest = uow.plans.get(XHB)
        history = uow.plans.history(XHB)
        v1_text = uow.plans.document(XHB, 1)
        v2_text = uow.plans.document(XHB, 2)
    assert (before.version, before.management_fee_bp) == (1, 800)
    assert (after.version, after.management_fee_bp) == (2, 600)
    assert newest.version == 2
    assert v1_text == template_text(XHB) and v2_text == v2
    assert [(h.version, h.effective_from) for h in history] == [
        (1, date(2018, 10, 16)),
        (2, date(2026, 3, 1)),
    ]
    assert [h.sha256 for h in history] == [
        hashlib.sha256(v1_text.encode("utf-8")).hexdigest(),
        hashlib.sha256(v2_text.encode("utf-8")).hexdigest(),
    ]
    assert [h.changes for h in history] == [None, "Fee lowered to 6% of payouts."]
    assert [h.created_at for h in history] == [at("2026-01-01"), at("2026-02-01")]


def test_before_its_first_effective_date_a_plan_has_its_first_rules(engine: Engine) -> None:
    install(engine, at("2026-01-01"))
    publish_text(engine, revision(2, "2026-03-01"), at("2026-02-01"))
    with UnitOfWork(engine) as uow:
        ancient = uow.plans.get(XHB, on=date(2018, 10, 15))
    assert ancient.version == 1


def test_a_version_is_never_replaced_skipped_or_backdated(engine: Engine) -> None:
    install(engine, at("2026-01-01"))
    publish_text(engine, revision(2, "2026-03-01"), at("2026-02-01"))
    with pytest.raises(Conflict) as again:
        publish_text(engine, revision(2, "2026-04-01", fee_bp=500), at("2026-02-02"))
    assert again.value.code == "plan-version-exists"
    with pytest.raises(Conflict) as first:
        publish_text(engine, template_text(XHB), at("2026-02-02"))
    assert first.value.code == "plan-version-exists"
    with pytest.raises(InvalidInput) as gap:
        publish_text(engine, revision(4, "2026-05-01"), at("2026-02-02"))
    assert gap.value.code == "plan-version-gap"
    with pytest.raises(InvalidInput) as backdated:
        publish_text(engine, revision(3, "2026-02-15"), at("2026-02-02"))
    assert backdated.value.code == "plan-effective-date"
    with UnitOfWork(engine) as uow:
        assert [h.version for h in uow.plans.history(XHB)] == [1, 2]
        assert uow.plans.get(XHB).management_fee_bp == 600
    # The same effective date as the version before is allowed: the next version follows it.
    publish_text(engine, revision(3, "2026-03-01", fee_bp=500), at("2026-02-03"))
    with UnitOfWork(engine) as uow:
        assert uow.plans.get(XHB, on=date(2026, 3, 1)).version == 3


# --- people --------------------------------------------------------------------------------------


def _person(number: str, **kw: Any) -> Person:
    fields: dict[str, Any] = {
        "id": None,
        "id_type": "resident-id",
        "id_number": number,
        "name": "吴小漫",
        "birth_date": date(1990, 5, 17),
        "sex": Sex.FEMALE,
    }
    fields.update(kw)
    return Person(**fields)


def test_an_identity_document_is_unique_in_the_database(engine: Engine) -> None:
    number = id_number(2, date(1990, 5, 17))
    with UnitOfWork(engine) as uow:
        uow.people.add(_person(number), at("2026-01-01"))
        uow.commit()
    raw = {
        "id_type": "resident-id",
        "id_number": number,
        "name": "冒名者",
        "birth_date": date(1990, 5, 17),
        "sex": "F",
        "labels": [],
        "created_at": at("2026-01-02"),
    }
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(people).values(**raw))
    assert count(engine, people) == 1
    # The same number under another kind of document is another document.
    with engine.begin() as conn:
        conn.execute(insert(people).values(**{**raw, "id_type": "passport"}))
    assert count(engine, people) == 2


def test_a_person_comes_back_as_stored(engine: Engine) -> None:
    guardian = _person(id_number(1, date(1960, 3, 1)), birth_date=date(1960, 3, 1), sex=Sex.MALE)
    with UnitOfWork(engine) as uow:
        guardian_id = uow.people.add(guardian, at("2026-01-01"))
        child = _person(
            id_number(2, date(2020, 2, 29)),
            name="吴小小",
            birth_date=date(2020, 2, 29),
            province_code="11",
            city_tier=3,
            rural=True,
            phone="13800000000",
            email="wu@example.cn",
            credit_score=None,
            labels=("migrant-worker", "rural", "农民工"),
            guardian_id=guardian_id,
        )
        child_id = uow.people.add(child, at("2026-01-01"))
        uow.commit()
    with UnitOfWork(engine) as uow:
        got = uow.people.get(child_id)
        got_guardian = uow.people.get(guardian_id)
        dependants = uow.people.dependants(guardian_id)
        by_doc = uow.people.by_document("resident-id", child.id_number)
    assert got == Person(**{**child.__dict__, "id": child_id})
    assert isinstance(got.labels, tuple) and got.sex is Sex.FEMALE
    assert type(got.birth_date) is date and got.rural is True
    assert got_guardian == Person(**{**guardian.__dict__, "id": guardian_id})
    assert dependants == [got] and by_doc == got


# --- memberships ---------------------------------------------------------------------------------


def test_one_live_membership_per_person_and_plan(engine: Engine) -> None:
    install(engine, at("2026-01-01"))
    first = join_one(engine, XHB, at("2026-01-02"))
    raw = {
        "plan_id": XHB,
        "person_id": first.person_id,
        "plan_version": 1,
        "joined_at": at("2026-01-03"),
        "exit_on": None,
    }
    for live in (Lifecycle.ACTIVE, Lifecycle.SUSPENDED):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert(memberships).values(**raw, lifecycle=live.value))
    assert count(engine, memberships) == 1
    with pytest.raises(Conflict) as again:
        join_one(engine, XHB, at("2026-01-03"))
    assert again.value.code == "already-member"

    with UnitOfWork(engine) as uow:
        member_svc.leave(uow, first.membership_id, at("2026-01-04"), LeaveReason.VOLUNTARY)
        uow.commit()
    second = join_one(engine, XHB, at("2026-01-05"))
    assert second.person_id == first.person_id and second.membership_id != first.membership_id
    # A membership that has ended takes no place in the index: another may be stored beside it.
    with engine.begin() as conn:
        conn.execute(insert(memberships).values(**raw, lifecycle=Lifecycle.LEFT.value))
    with UnitOfWork(engine) as uow:
        old = uow.memberships.get(first.membership_id)
        live = uow.memberships.live(XHB, first.person_id)
        old_events = uow.memberships.events(first.membership_id)
        new_events = uow.memberships.events(second.membership_id)
        all_of_them = uow.memberships.for_person(first.person_id)
    assert old.lifecycle is Lifecycle.LEFT and old.leave_reason is LeaveReason.VOLUNTARY
    assert old.left_at == at("2026-01-04")
    assert live is not None and live.id == second.membership_id
    assert [(e.from_state, e.to_state, e.reason, e.at) for e in old_events] == [
        (None, Lifecycle.ACTIVE, "joined", at("2026-01-02")),
        (Lifecycle.ACTIVE, Lifecycle.LEFT, "voluntary", at("2026-01-04")),
    ]
    assert [(e.reason, e.at) for e in new_events] == [("joined", at("2026-01-05"))]
    assert len(all_of_them) == 3


def test_the_headcount_locks_on_joined_before_and_left_after(engine: Engine) -> None:
    install(engine, at("2026-01-01"))
    plan = "meituan-huzhu"
    with UnitOfWork(engine) as uow:
        lock = uow.plans.get(plan).calendar.lock_moment(date(2026, 1, 11))
    assert lock == at("2026-01-11", 0)

    def member(n: int, joined: datetime, left: datetime | None = None) -> int:
        m = join_one(engine, plan, joined, n=n, birth=date(1985, 1, n))
        if left is not None:
            with UnitOfWork(engine) as uow:
                member_svc.leave(uow, m.membership_id, left)
                uow.commit()
        return m.membership_id

    member(1, at("2026-01-10"))  # counted
    member(2, lock)  # joined at the lock itself: not counted
    member(3, at("2026-01-01"), left=lock)  # left at the lock: not counted
    member(4, at("2026-01-01"), left=lock + timedelta(microseconds=1))  # counted
    member(5, at("2026-01-01"), left=at("2026-01-05"))  # not counted
    member(6, lock + timedelta(seconds=1))  # not counted
    member(7, lock - timedelta(microseconds=1))  # counted
    with UnitOfWork(engine) as uow:
        assert uow.memberships.count_locked(plan, lock) == 3
        assert uow.memberships.count_locked(plan, lock.astimezone(UTC)) == 3
        assert uow.memberships.count_locked(plan, at("2026-01-02")) == 3  # members 3, 4, 5
        assert uow.memberships.count_live(plan) == 4  # members 1, 2, 6, 7


# --- timestamps ----------------------------------------------------------------------------------


def test_timestamps_come_back_aware_and_equal_in_utc(engine: Engine) -> None:
    install(engine, at("2026-01-01"))
    stamp = datetime(2026, 1, 2, 10, 30, 15, 123456, tzinfo=CHINA_TZ)
    m = join_one(engine, XHB, stamp)
    with UnitOfWork(engine) as uow:
        got = uow.memberships.get(m.membership_id)
        event = uow.memberships.events(m.membership_id)[0]
        if uow.dialect == "postgresql":
            # Whatever the session's time zone, values come back in UTC.
            uow.conn.execute(text("SET LOCAL TIME ZONE 'Asia/Shanghai'"))
            again = uow.memberships.get(m.membership_id).joined_at
            stored = uow.conn.scalar(
                text(
                    "SELECT to_char(joined_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') "
                    "FROM memberships WHERE id = :id"
                ),
                {"id": m.membership_id},
            )
        else:
            again = got.joined_at
            stored = uow.conn.scalar(
                text("SELECT joined_at FROM memberships WHERE id = :id"), {"id": m.membership_id}
            )
    for value in (got.joined_at, event.at, again):
        assert value == stamp
        assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
        assert (value.hour, value.microsecond) == (2, 123456)
    assert str(stored).startswith("2026-01-02 02:30:15.123456")


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    install(engine, at("2026-01-01"))
    m = join_one(engine, XHB, at("2026-01-02"))
    naive = datetime(2026, 1, 3, 10, 0)
    with pytest.raises(StatementError, match="naive"), UnitOfWork(engine) as uow:
        member_svc.leave(uow, m.membership_id, naive)
    with pytest.raises(StatementError, match="naive"), UnitOfWork(engine) as uow:
        uow.memberships.count_locked(XHB, naive)
    with UnitOfWork(engine) as uow:
        assert uow.memberships.get(m.membership_id).lifecycle is Lifecycle.ACTIVE
        assert len(uow.memberships.events(m.membership_id)) == 1


# --- ledger --------------------------------------------------------------------------------------


def test_posting_is_idempotent_by_key(engine: Engine) -> None:
    install(engine, at("2026-01-01"))
    cash, backstop = account_code(XHB, AccountKind.CASH), account_code(XHB, AccountKind.BACKSTOP)

    def adjustment(*legs: tuple[str, int]) -> Transaction:
        postings = tuple(Posting(code, amount) for code, amount in legs)
        return Transaction("adjust:1", "adjustment", XHB, postings, memo="opening float")

    with UnitOfWork(engine) as uow:
        first = uow.ledger.post(adjustment((cash, 500), (backstop, -500)), at("2026-01-02"))
        uow.commit()
    state = (count(engine, ledger_transactions), count(engine, ledger_postings), head(engine, XHB))
    with UnitOfWork(engine) as uow:
        # The same postings, in another order and at another time: the first transaction.
        again = uow.ledger.post(adjustment((backstop, -500), (cash, 500)), at("2026-01-03"))
        uow.commit()
    assert again == first
    assert (
        count(engine, ledger_transactions),
        count(engine, ledger_postings),
        head(engine, XHB),
    ) == state
    for other in (
        adjustment((cash, 501), (backstop, -501)),
        adjustment((cash, 500), (account_code(XHB, AccountKind.FEE_INCOME), -500)),
        adjustment(
            (cash, 500), (backstop, -400), (account_code(XHB, AccountKind.FEE_INCOME), -100)
        ),
    ):
        with pytest.raises(Conflict) as reused, UnitOfWork(engine) as uow:
            uow.ledger.post(other, at("2026-01-03"))
        assert reused.value.code == "idempotency-key-reused"
    assert (
        count(engine, ledger_transactions),
        count(engine, ledger_postings),
        head(engine, XHB),
    ) == state
    with UnitOfWork(engine) as uow:
        assert uow.ledger.balance(cash) == 500 and uow.ledger.balance(backstop) == -500


def test_balances_now_and_at_a_past_moment(engine: Engine) -> None:
    install(engine, at("2026-01-01"))
    a = join_one(engine, XHB, at("2026-01-02"), n=1, birth=date(1990, 1, 1))
    b = join_one(engine, XHB, at("2026-01-02"), n=2, birth=date(1991, 1, 1))
    claimant = join_one(engine, XHB, at("2026-01-02"), n=3, birth=date(1992, 1, 1))
    join_many(engine, XHB, 10, at("2026-01-02"))
    first = credit(engine, a.membership_id, 1_000, "a-1", at("2026-01-02", 11))
    credit(engine, b.membership_id, 700, "b-1", at("2026-01-02", 12))
    credit(engine, a.membership_id, 500, "a-2", at("2026-01-03", 11))
    # A replay credits nothing; the same key with another amount is refused.
    assert credit(engine, a.membership_id, 1_000, "a-1", at("2026-01-04")) == first
    with pytest.raises(Conflict) as reused:
        credit(engine, a.membership_id, 999, "a-1", at("2026-01-04"))
    assert reused.value.code == "idempotency-key-reused"
    round_id = accident_round(engine, claimant.membership_id)

    def by_kind(rows: list[Any]) -> dict[str, int]:
        return {r.kind: r.balance for r in rows if r.balance}

    with UnitOfWork(engine) as uow:
        then = by_kind(uow.ledger.balances(XHB, at=at("2026-01-02", 23)))
        exactly = by_kind(uow.ledger.balances(XHB, at=at("2026-01-02", 11)))
        before = by_kind(uow.ledger.balances(XHB, at=at("2026-01-01")))
        now = by_kind(uow.ledger.balances(XHB))
        charge = uow.archive.charge_of(round_id, a.membership_id)
        record = uow.rounds.get(round_id)
        a_now = uow.ledger.member_balance(a.membership_id)
        a_then = uow.ledger.member_balance(a.membership_id, at=at("2026-01-02", 23))
        b_now = uow.ledger.member_balance(b.membership_id)
        a_charged = uow.ledger.member_charged(a.membership_id)
        rows = uow.conn.execute(
            select(
                ledger_accounts.c.code,
                ledger_accounts.c.balance,
                select(func.coalesce(func.sum(ledger_postings.c.amount), 0))
                .where(ledger_postings.c.account_id == ledger_accounts.c.id)
                .scalar_subquery()
                .label("posted"),
            )
        ).all()
    assert record is not None
    f = record.figures
    assert charge == 10 and f.collected == 12 * 10 and f.members == 12
    assert before == {}
    assert then == {"cash": 1_700, "member-funds": -1_700}
    assert exactly == {"cash": 1_000, "member-funds": -1_000}  # `at` includes its own moment
    assert now == {
        "cash": 2_200,
        "member-funds": -2_200 + f.collected,
        "backstop": f.backstop,
        "claims-payable": -f.payouts,
        "fee-income": -f.fee,
    }
    assert (a_now, a_then, b_now, a_charged) == (1_500 - 10, 1_000, 700 - 10, 10)
    assert rows and all(r.balance == r.posted for r in rows), rows


def test_a_top_up_retried_while_the_first_is_in_flight_credits_once(engine: Engine) -> None:
    """A gateway retries a top-up before the first attempt has committed: one credit, one id."""
    install(engine, at("2026-01-01"))
    m = join_one(engine, XHB, at("2026-01-02"))
    retry: dict[str, Any] = {}

    def again() -> None:
        try:
            retry["id"] = credit(engine, m.membership_id, 1_000, "gw-1", at("2026-01-03", 11))
        except Exception as exc:  # reported through the assertion below
            retry["error"] = exc

    with UnitOfWork(engine) as first:
        first_id = top_up(first, m.membership_id, 1_000, "gw-1", at("2026-01-03"))
        worker = threading.Thread(target=again)
        worker.start()
        worker.join(timeout=1.0)
        assert worker.is_alive()  # waiting for the first attempt's transaction
        first.commit()
    worker.join(timeout=20)
    assert not worker.is_alive()
    with UnitOfWork(engine) as uow:
        balance = uow.ledger.member_balance(m.membership_id)
    assert balance == 1_000
    assert retry == {"id": first_id}


def test_amounts_beyond_32_bits_round_trip(engine: Engine) -> None:
    install(engine, at("2026-01-01"))
    big = 9_000_000_000_123  # 90 billion yuan in fen
    cash, backstop = account_code(XHB, AccountKind.CASH), account_code(XHB, AccountKind.BACKSTOP)
    txn = Transaction(
        "adjust:big", "adjustment", XHB, (Posting(cash, big), Posting(backstop, -big))
    )
    with UnitOfWork(engine) as uow:
        txn_id = uow.ledger.post(txn, at("2026-01-02"))
        uow.commit()
    with UnitOfWork(engine) as uow:
        found = uow.ledger.find("adjust:big")
        assert uow.ledger.balance(cash) == big and uow.ledger.balance(backstop) == -big
    assert found is not None and found.id == txn_id
    assert found.postings == ((backstop, -big), (cash, big))


def test_the_chain_head_advances_with_every_transaction(engine: Engine) -> None:
    install(engine, at("2026-01-01"))
    assert head(engine, XHB) == (GENESIS, 0)
    m = join_one(engine, XHB, at("2026-01-02"))
    heads = [head(engine, XHB)]
    for k in range(3):
        credit(engine, m.membership_id, 100 + k, f"k{k}", at("2026-01-03", 10 + k))
        heads.append(head(engine, XHB))
    credit(engine, m.membership_id, 100, "k0", at("2026-01-04"))  # a replay: no new link
    heads.append(head(engine, XHB))
    # Each top-up is two transactions: the member's credit and the gateway's settlement.
    assert [length for _, length in heads] == [0, 2, 4, 6, 6]
    assert len({digest for digest, _ in heads}) == 4
    with UnitOfWork(engine) as uow:
        txns = uow.conn.execute(
            select(ledger_transactions)
            .where(ledger_transactions.c.plan_id == XHB)
            .order_by(ledger_transactions.c.id)
        ).all()
    assert [t.prev_digest for t in txns] == [GENESIS] + [t.digest for t in txns[:-1]]
    assert heads[-1] == (txns[-1].digest, len(txns))
    assert head(engine, "meituan-huzhu") == (GENESIS, 0)  # each plan has its own chain


# --- append-only ---------------------------------------------------------------------------------

TAMPERING = [
    ("ledger_postings", "UPDATE ledger_postings SET amount = amount + 1"),
    ("ledger_postings", "DELETE FROM ledger_postings"),
    ("ledger_transactions", "UPDATE ledger_transactions SET memo = 'rewritten'"),
    ("ledger_transactions", "DELETE FROM ledger_transactions"),
    ("member_charges", "UPDATE member_charges SET amount = 0"),
    ("member_charges", "DELETE FROM member_charges"),
    ("member_credits", "UPDATE member_credits SET amount = amount * 100"),
    ("member_credits", "DELETE FROM member_credits"),
]

APPEND_ONLY = {
    "ledger_postings": ledger_postings,
    "ledger_transactions": ledger_transactions,
    "member_charges": member_charges,
    "member_credits": member_credits,
}


@pytest.mark.parametrize(("table", "statement"), TAMPERING, ids=[s for _, s in TAMPERING])
def test_the_ledger_refuses_updates_and_deletes(engine: Engine, table: str, statement: str) -> None:
    ledger_history(engine)
    before = {name: snapshot(engine, t) for name, t in APPEND_ONLY.items()}
    assert before[table] and all(before.values()), {n: len(rows) for n, rows in before.items()}
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    assert {name: snapshot(engine, t) for name, t in APPEND_ONLY.items()} == before


def test_the_ledger_still_takes_new_entries_after_a_refusal(engine: Engine) -> None:
    ids = ledger_history(engine)
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("DELETE FROM member_credits"))
    credit(engine, ids["saver"], 300, "after-refusal", at("2026-01-08"))
    with UnitOfWork(engine) as uow:
        assert uow.ledger.member_balance(ids["saver"]) == 1_000 + 300 - 10


# --- units of work -------------------------------------------------------------------------------


def test_a_refused_join_writes_nothing(engine: Engine) -> None:
    install(engine, at("2026-01-01"))
    tables = (people, memberships, membership_events)
    with pytest.raises(RuleViolation) as too_old:
        join_one(engine, XHB, at("2026-01-02"), birth=date(1950, 1, 1))
    assert too_old.value.code == "age-out-of-range"
    with pytest.raises(RuleViolation) as low_credit:
        join_one(engine, XHB, at("2026-01-02"), credit=550)
    assert low_credit.value.code == "credit-score-too-low"
    assert [count(engine, t) for t in tables] == [0, 0, 0]
    # The person was registered inside the refused unit of work; nothing of it was kept.
    join_one(engine, XHB, at("2026-01-02"))
    assert [count(engine, t) for t in tables] == [1, 1, 1]


def test_a_unit_of_work_left_without_commit_rolls_back(engine: Engine) -> None:
    install(engine, at("2026-01-01"))
    m = join_one(engine, XHB, at("2026-01-02"))
    before = {name: snapshot(engine, t) for name, t in APPEND_ONLY.items()}
    state = head(engine, XHB)
    with pytest.raises(RuntimeError), UnitOfWork(engine) as uow:
        top_up(uow, m.membership_id, 1_000, "never", at("2026-01-03"))
        assert uow.ledger.member_balance(m.membership_id) == 1_000
        raise RuntimeError("the request failed after the top-up was posted")
    with UnitOfWork(engine) as uow:
        top_up(uow, m.membership_id, 1_000, "forgotten", at("2026-01-03"))  # no commit
    assert {name: snapshot(engine, t) for name, t in APPEND_ONLY.items()} == before
    assert head(engine, XHB) == state
    with UnitOfWork(engine) as uow:
        assert uow.ledger.member_balance(m.membership_id) == 0
        assert uow.ledger.find(f"top-up:{XHB}:never") is None
