"""Double-entry postings and the hash chain over them."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huzhu.domain.apportionment import figures, member_charge
from huzhu.domain.chain import GENESIS, canonical_transaction, chain_digest
from huzhu.domain.errors import InvalidInput
from huzhu.domain.ledger import (
    CLEARING_KINDS,
    DEBIT_NORMAL,
    AccountKind,
    Posting,
    Transaction,
    account_code,
    check_balanced,
    member_credit_transaction,
    round_transaction,
)

PLAN = "xiang-hu-bao"


def legs(txn: Transaction) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in txn.postings:
        out[p.account] = out.get(p.account, 0) + p.amount
    return out


# --- rounds ----------------------------------------------------------------------------------


@settings(max_examples=300)
@given(
    members=st.integers(min_value=0, max_value=10**8),
    payouts=st.integers(min_value=0, max_value=10**12),
    fee_bp=st.integers(min_value=0, max_value=5000),
    carry_in=st.integers(min_value=0, max_value=10**9),
    cases=st.integers(min_value=0, max_value=50),
    per_case_cap=st.none() | st.integers(min_value=1, max_value=10**4),
    held_back=st.lists(st.integers(min_value=0, max_value=10**4), max_size=10),
)
def test_round_transaction_balances_for_any_round(
    members: int,
    payouts: int,
    fee_bp: int,
    carry_in: int,
    cases: int,
    per_case_cap: int | None,
    held_back: list[int],
) -> None:
    # Work out the share first with an uncharged round, then charge every member.
    share = figures(
        members=members,
        cases=cases,
        payouts=payouts,
        fee_bp=fee_bp,
        carry_in=carry_in,
        charged=0,
        per_case_cap=per_case_cap,
    ).share
    cap = None if per_case_cap is None else per_case_cap * cases
    held_back = held_back[:members]
    charged = member_charge(share, cap, None) * (members - len(held_back)) + sum(
        member_charge(share, cap, r) for r in held_back
    )
    f = figures(
        members=members,
        cases=cases,
        payouts=payouts,
        fee_bp=fee_bp,
        carry_in=carry_in,
        charged=charged,
        per_case_cap=per_case_cap,
    )
    txn = round_transaction(
        PLAN,
        "2019-01-07",
        charged=f.collected,
        backstop=f.backstop,
        carry_in=f.carry_in,
        payouts=f.payouts,
        fee=f.fee,
        surplus=f.surplus,
    )
    expected = {
        account_code(PLAN, AccountKind.MEMBER_FUNDS): f.collected,
        account_code(PLAN, AccountKind.BACKSTOP): f.backstop,
        account_code(PLAN, AccountKind.SURPLUS_RESERVE): f.carry_in - f.surplus,
        account_code(PLAN, AccountKind.CLAIMS_PAYABLE): -f.payouts,
        account_code(PLAN, AccountKind.FEE_INCOME): -f.fee,
    }
    expected = {k: v for k, v in expected.items() if v != 0}
    if not expected:
        assert txn is None
        return
    assert txn is not None
    assert sum(p.amount for p in txn.postings) == 0
    assert all(p.amount != 0 for p in txn.postings)
    assert len(txn.postings) >= 2
    assert len({p.account for p in txn.postings}) == len(txn.postings)
    assert legs(txn) == expected
    assert txn.key == f"round:{PLAN}:2019-01-07"
    assert txn.kind == "round"
    assert txn.plan_id == PLAN


def test_round_transaction_is_none_when_nothing_moves() -> None:
    zero = dict(charged=0, backstop=0, carry_in=0, payouts=0, fee=0, surplus=0)
    assert round_transaction(PLAN, "r1", **zero) is None
    # A carried surplus that is carried straight on again moves nothing either.
    assert round_transaction(PLAN, "r1", **{**zero, "carry_in": 7, "surplus": 7}) is None


def test_round_transaction_example() -> None:
    # 1,000 members, one 1,000-yuan claim, 8% fee, 5 fen carried in, share 108 fen.
    txn = round_transaction(
        PLAN,
        "2019-01-21",
        charged=108_000,
        backstop=0,
        carry_in=5,
        payouts=100_000,
        fee=8_000,
        surplus=5,
    )
    assert txn is not None
    assert txn.key == "round:xiang-hu-bao:2019-01-21"
    assert txn.memo == "round 2019-01-21"
    assert legs(txn) == {
        "xiang-hu-bao:member-funds": 108_000,
        "xiang-hu-bao:claims-payable": -100_000,
        "xiang-hu-bao:fee-income": -8_000,
    }


def test_round_transaction_refuses_figures_that_do_not_balance() -> None:
    with pytest.raises(InvalidInput) as exc:
        round_transaction(
            PLAN, "r", charged=100, backstop=0, carry_in=0, payouts=100, fee=1, surplus=0
        )
    assert exc.value.code == "ledger-unbalanced"


# --- transactions ----------------------------------------------------------------------------


def test_transaction_refuses_unbalanced_postings() -> None:
    with pytest.raises(InvalidInput) as exc:
        Transaction(
            key="k",
            kind="manual",
            plan_id=PLAN,
            postings=(Posting("a", 100), Posting("b", -99)),
        )
    assert exc.value.code == "ledger-unbalanced"


@pytest.mark.parametrize("postings", [(), (Posting("a", 0),), (Posting("a", 5),)])
def test_transaction_refuses_fewer_than_two_postings(postings: tuple[Posting, ...]) -> None:
    with pytest.raises(InvalidInput) as exc:
        Transaction(key="k", kind="manual", plan_id=PLAN, postings=postings)
    assert exc.value.code == "ledger-unbalanced"


def test_transaction_accepts_balanced_postings() -> None:
    txn = Transaction(
        key="k",
        kind="manual",
        plan_id=PLAN,
        postings=(Posting("a", 100), Posting("b", -60), Posting("c", -40)),
    )
    assert sum(p.amount for p in txn.postings) == 0
    check_balanced(txn.postings)


def test_member_credit_transaction() -> None:
    txn = member_credit_transaction(PLAN, "top-up:1:abc", 1_000)
    assert txn.key == "top-up:1:abc"
    assert txn.kind == "top-up"
    assert legs(txn) == {
        "xiang-hu-bao:gateway-clearing": 1_000,
        "xiang-hu-bao:member-funds": -1_000,
    }
    debit = member_credit_transaction(PLAN, "debit:9", 250, kind="debit", memo="round 7")
    assert (debit.kind, debit.memo) == ("debit", "round 7")


@pytest.mark.parametrize("amount", [0, -1, -1_000])
def test_member_credit_transaction_refuses_non_positive(amount: int) -> None:
    with pytest.raises(InvalidInput) as exc:
        member_credit_transaction(PLAN, "k", amount)
    assert exc.value.code == "amount-not-positive"
    assert exc.value.field == "amount"


def test_account_kinds() -> None:
    assert account_code("meituan-huzhu", AccountKind.CASH) == "meituan-huzhu:cash"
    assert AccountKind.GATEWAY_CLEARING in CLEARING_KINDS
    assert AccountKind.MEMBER_FUNDS not in DEBIT_NORMAL
    assert AccountKind.CASH in DEBIT_NORMAL


# --- hash chain ------------------------------------------------------------------------------

AT = datetime(2019, 1, 7, 0, 0, 0, 123456, tzinfo=UTC)
BASE = {
    "key": "round:xiang-hu-bao:2019-01-07",
    "kind": "round",
    "plan_id": PLAN,
    "memo": "round 2019-01-07",
    "posted_at": AT,
    "postings": (("xiang-hu-bao:member-funds", 108), ("xiang-hu-bao:claims-payable", -108)),
}


def digest_of(prev: str = GENESIS, **changes: object) -> str:
    fields = {**BASE, **changes}
    return chain_digest(prev, canonical_transaction(**fields))  # type: ignore[arg-type]


def test_chain_digest_is_sha256_of_prev_and_content() -> None:
    content = canonical_transaction(**BASE)  # type: ignore[arg-type]
    expected = hashlib.sha256(f"{GENESIS}\n{content}".encode()).hexdigest()
    assert chain_digest(GENESIS, content) == expected
    assert len(expected) == 64
    assert GENESIS == "0" * 64


@pytest.mark.parametrize(
    "change",
    [
        {"key": "round:xiang-hu-bao:2019-01-21"},
        {"kind": "adjustment"},
        {"plan_id": "meituan-huzhu"},
        {"memo": "round 2019-01-07 "},
        {"memo": ""},
        {"posted_at": AT + timedelta(microseconds=1)},
        {"postings": (("xiang-hu-bao:member-funds", 109), ("xiang-hu-bao:claims-payable", -109))},
        {"postings": (("xiang-hu-bao:member-funds", 108), ("xiang-hu-bao:fee-income", -108))},
        {
            "postings": (
                ("xiang-hu-bao:member-funds", 108),
                ("xiang-hu-bao:claims-payable", -100),
                ("xiang-hu-bao:fee-income", -8),
            )
        },
    ],
)
def test_chain_digest_changes_when_any_content_field_changes(change: dict[str, object]) -> None:
    assert digest_of(**change) != digest_of()


def test_chain_digest_changes_when_prev_changes() -> None:
    other = "1" + GENESIS[1:]
    assert digest_of(prev=other) != digest_of()
    first = digest_of()
    assert digest_of(prev=first) != first


def test_editing_an_earlier_entry_changes_every_later_digest() -> None:
    contents = [canonical_transaction(**{**BASE, "key": f"k{i}"}) for i in range(4)]  # type: ignore[arg-type]
    heads = []
    prev = GENESIS
    for c in contents:
        prev = chain_digest(prev, c)
        heads.append(prev)
    contents[1] = canonical_transaction(**{**BASE, "key": "k1", "memo": "edited"})  # type: ignore[arg-type]
    prev = GENESIS
    for i, c in enumerate(contents):
        prev = chain_digest(prev, c)
        assert (prev == heads[i]) is (i < 1)


text = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
posting_lists = st.lists(
    st.tuples(st.text(min_size=1, max_size=8), st.integers(-(10**12), 10**12)),
    min_size=2,
    max_size=6,
)


@settings(max_examples=200)
@given(posting_lists, st.randoms(use_true_random=False))
def test_canonical_transaction_ignores_posting_order(
    postings: list[tuple[str, int]], rnd: object
) -> None:
    shuffled = list(postings)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    a = canonical_transaction("k", "round", PLAN, "m", AT, postings)
    b = canonical_transaction("k", "round", PLAN, "m", AT, shuffled)
    c = canonical_transaction("k", "round", PLAN, "m", AT, iter(reversed(postings)))
    assert a == b == c


def test_canonical_transaction_uses_the_instant_not_the_time_zone() -> None:
    beijing = timezone(timedelta(hours=8))
    same_instant = AT.astimezone(beijing)
    a = canonical_transaction("k", "round", PLAN, "m", AT, BASE["postings"])  # type: ignore[arg-type]
    b = canonical_transaction("k", "round", PLAN, "m", same_instant, BASE["postings"])  # type: ignore[arg-type]
    assert a == b
    assert "2019-01-07T00:00:00.123456+00:00" in a


@settings(max_examples=200)
@given(st.sampled_from(["key", "kind", "plan_id", "memo"]), text)
def test_any_single_text_field_change_changes_the_digest(field: str, value: str) -> None:
    if value == BASE[field]:
        return
    assert digest_of(**{field: value}) != digest_of()


def test_postings_account_is_kept_whole() -> None:
    txn = member_credit_transaction(PLAN, "k", 5)
    postings = [(p.account, p.amount) for p in txn.postings]
    content = canonical_transaction(txn.key, txn.kind, txn.plan_id, txn.memo, AT, postings)
    assert content.endswith(
        '[["xiang-hu-bao:gateway-clearing", 5], ["xiang-hu-bao:member-funds", -5]]]'
    )
    # Changing a frozen transaction yields another content.
    other = replace(txn, memo="x")
    content2 = canonical_transaction(other.key, other.kind, other.plan_id, other.memo, AT, postings)
    assert content2 != content


def test_different_transactions_never_share_a_digest() -> None:
    postings = BASE["postings"]
    a = canonical_transaction("k\x1fround", "", PLAN, "m", AT, postings)  # type: ignore[arg-type]
    b = canonical_transaction("k", "round\x1f", PLAN, "m", AT, postings)  # type: ignore[arg-type]
    assert chain_digest(GENESIS, a) != chain_digest(GENESIS, b)
