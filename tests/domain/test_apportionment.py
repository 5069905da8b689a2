"""The published apportionment rule (see the docstring of huzhu.domain.apportionment).

Expected values are computed independently with fractions.Fraction and math, never by calling the
helper that is under test.
"""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from huzhu.domain.apportionment import (
    RoundFigures,
    figures,
    management_fee,
    member_charge,
    per_head_share,
    prepaid_charge,
    quote,
    round_cap,
    settle,
)
from huzhu.domain.money import yuan
from huzhu.plans.loader import load_template


def exact_fee(payouts: int, fee_bp: int) -> int:
    return math.floor(Fraction(payouts * fee_bp, 10_000))


def exact_share(need: int, members: int) -> int:
    if need <= 0 or members <= 0:
        return 0
    return math.ceil(Fraction(need, members))


def check_published_rule(
    f: RoundFigures,
    *,
    members: int,
    cases: int,
    payouts: int,
    fee_bp: int,
    carry_in: int,
    charged: int,
) -> None:
    rate = Fraction(payouts * fee_bp, 10_000)
    assert f.fee <= rate
    assert f.fee > rate - 1
    need = payouts + f.fee - carry_in
    assert f.need == need
    # The identity every round must satisfy, exactly.
    assert f.collected + f.backstop - f.surplus == payouts + f.fee - carry_in
    assert f.balanced()
    assert f.collected == charged
    assert f.backstop >= 0
    assert f.surplus >= 0
    if f.backstop > 0:
        assert f.surplus == 0
    assert f.backstop == max(0, need - charged)
    # The share is the smallest whole fen that covers the need.
    if need > 0 and members > 0:
        assert f.share * members >= need
        assert (f.share - 1) * members < need
    else:
        assert f.share == 0
    assert f.members == members
    assert f.cases == cases
    assert f.payouts == payouts
    assert f.carry_in == carry_in


round_inputs = st.fixed_dictionaries(
    {
        "members": st.integers(min_value=0, max_value=10**8),
        "payouts": st.integers(min_value=0, max_value=10**12),
        "fee_bp": st.integers(min_value=0, max_value=5000),
        "carry_in": st.integers(min_value=0, max_value=10**9),
        "cases": st.integers(min_value=0, max_value=50),
        "per_case_cap": st.none() | st.integers(min_value=1, max_value=10**4),
    }
)
year_remaining = st.lists(
    st.none() | st.integers(min_value=-1_000, max_value=20_000), min_size=0, max_size=50
)


@settings(max_examples=300)
@given(round_inputs, year_remaining)
def test_round_with_explicit_members_follows_the_published_rule(
    args: dict[str, int | None], remaining: list[int | None]
) -> None:
    """A small round where each listed member has their own yearly room left."""
    payouts = args["payouts"]
    fee_bp = args["fee_bp"]
    carry_in = args["carry_in"]
    cases = args["cases"]
    cap_per_case = args["per_case_cap"]
    assert isinstance(payouts, int) and isinstance(fee_bp, int)
    assert isinstance(carry_in, int) and isinstance(cases, int)
    members = len(remaining)
    fee = exact_fee(payouts, fee_bp)
    share = exact_share(payouts + fee - carry_in, members)
    cap = None if cap_per_case is None else cap_per_case * cases
    charges = [member_charge(share, cap, r) for r in remaining]
    for charge, r in zip(charges, remaining, strict=True):
        bounds = [share] + ([] if cap is None else [cap]) + ([] if r is None else [max(0, r)])
        assert charge == min(bounds)
        assert charge >= 0
    f = figures(
        members=members,
        cases=cases,
        payouts=payouts,
        fee_bp=fee_bp,
        carry_in=carry_in,
        charged=sum(charges),
        per_case_cap=cap_per_case,
    )
    assert f.share == share
    assert f.member_cap == cap
    check_published_rule(
        f,
        members=members,
        cases=cases,
        payouts=payouts,
        fee_bp=fee_bp,
        carry_in=carry_in,
        charged=sum(charges),
    )


balances = st.lists(st.integers(min_value=-1_000, max_value=10**9), min_size=0, max_size=50)


@settings(max_examples=300)
@given(round_inputs, year_remaining, balances)
def test_a_prepaid_round_never_takes_a_balance_below_zero_and_still_balances(
    args: dict[str, int | None], remaining: list[int | None], held: list[int]
) -> None:
    """Issue 9: each member pays what the balance holds up to the charge; the backstop the rest,
    and the published identity holds exactly."""
    payouts, fee_bp, carry_in, cases = (args[k] for k in ("payouts", "fee_bp", "carry_in", "cases"))
    assert isinstance(payouts, int) and isinstance(fee_bp, int)
    assert isinstance(carry_in, int) and isinstance(cases, int)
    members = min(len(remaining), len(held))
    fee = exact_fee(payouts, fee_bp)
    share = exact_share(payouts + fee - carry_in, members)
    cap = None if args["per_case_cap"] is None else args["per_case_cap"] * cases
    charges = [
        prepaid_charge(member_charge(share, cap, r), b)
        for r, b in zip(remaining[:members], held[:members], strict=True)
    ]
    for charge, b, r in zip(charges, held, remaining, strict=False):
        assert 0 <= charge <= member_charge(share, cap, r)
        assert b - charge >= min(b, 0)  # a balance never goes (further) below zero
        assert charge == min(member_charge(share, cap, r), max(0, b))
    f = figures(
        members=members, cases=cases, payouts=payouts, fee_bp=fee_bp, carry_in=carry_in,
        charged=sum(charges), per_case_cap=args["per_case_cap"],
    )  # fmt: skip
    check_published_rule(
        f, members=members, cases=cases, payouts=payouts, fee_bp=fee_bp, carry_in=carry_in,
        charged=sum(charges),
    )  # fmt: skip


@settings(max_examples=300)
@given(round_inputs, st.data())
def test_round_with_a_large_headcount_follows_the_published_rule(
    args: dict[str, int | None], data: st.DataObject
) -> None:
    """A full-size round: most members pay the share, some are held back by their yearly cap."""
    members = args["members"]
    payouts = args["payouts"]
    fee_bp = args["fee_bp"]
    carry_in = args["carry_in"]
    cases = args["cases"]
    cap_per_case = args["per_case_cap"]
    assert isinstance(members, int) and isinstance(payouts, int) and isinstance(fee_bp, int)
    assert isinstance(carry_in, int) and isinstance(cases, int)
    fee = exact_fee(payouts, fee_bp)
    share = exact_share(payouts + fee - carry_in, members)
    cap = None if cap_per_case is None else cap_per_case * cases
    at_cap = data.draw(
        st.lists(st.integers(min_value=-10, max_value=share + 10), max_size=min(members, 20))
    )
    full = member_charge(share, cap, None)
    charged = full * (members - len(at_cap)) + sum(member_charge(share, cap, r) for r in at_cap)
    f = figures(
        members=members,
        cases=cases,
        payouts=payouts,
        fee_bp=fee_bp,
        carry_in=carry_in,
        charged=charged,
        per_case_cap=cap_per_case,
    )
    check_published_rule(
        f,
        members=members,
        cases=cases,
        payouts=payouts,
        fee_bp=fee_bp,
        carry_in=carry_in,
        charged=charged,
    )
    if cap is None and not at_cap and members > 0:
        # Nobody is held back, so the charges cover the need: no backstop.
        assert f.backstop == 0


@settings(max_examples=300)
@given(round_inputs)
def test_quote_agrees_with_figures(args: dict[str, int | None]) -> None:
    members = args["members"]
    payouts = args["payouts"]
    fee_bp = args["fee_bp"]
    carry_in = args["carry_in"]
    cases = args["cases"]
    cap_per_case = args["per_case_cap"]
    assert isinstance(members, int) and isinstance(payouts, int) and isinstance(fee_bp, int)
    assert isinstance(carry_in, int) and isinstance(cases, int)
    q = quote(
        members=members,
        payouts=payouts,
        fee_bp=fee_bp,
        cases=cases,
        carry_in=carry_in,
        per_case_cap=cap_per_case,
    )
    fee = exact_fee(payouts, fee_bp)
    share = exact_share(payouts + fee - carry_in, members)
    each = share if cap_per_case is None else min(share, cap_per_case * cases)
    expected = figures(
        members=members,
        cases=cases,
        payouts=payouts,
        fee_bp=fee_bp,
        carry_in=carry_in,
        charged=each * members,
        per_case_cap=cap_per_case,
    )
    assert q == expected
    check_published_rule(
        q,
        members=members,
        cases=cases,
        payouts=payouts,
        fee_bp=fee_bp,
        carry_in=carry_in,
        charged=each * members,
    )


# --- worked examples from the domain brief ---------------------------------------------------


def test_thousand_members_share_a_thousand_yuan_claim_without_fee() -> None:
    f = quote(members=1_000, payouts=yuan(1_000), fee_bp=0)
    assert f.fee == 0
    assert f.share == 100  # 1 yuan each
    assert f.collected == 100_000
    assert (f.backstop, f.surplus) == (0, 0)


def test_thousand_members_with_an_eight_percent_fee() -> None:
    f = quote(members=1_000, payouts=yuan(1_000), fee_bp=800)
    assert f.fee == 8_000
    assert f.share == 108
    assert f.collected == 108_000
    assert (f.backstop, f.surplus) == (0, 0)


def test_xiang_hu_bao_first_round() -> None:
    plan = load_template("xiang-hu-bao")
    members = 23_000_000
    payouts = yuan(400_000)
    f = quote(
        members=members,
        payouts=payouts,
        fee_bp=plan.management_fee_bp,
        cases=2,
        per_case_cap=plan.caps.per_case_per_member,
    )
    need = 43_200_000  # 400,000 yuan x 1.08, in fen
    assert f.fee == 3_200_000
    assert f.need == need
    assert f.share == math.ceil(Fraction(need, members)) == 2
    assert f.member_cap == 20  # 0.10 yuan per case, two cases: not binding
    assert f.collected == 46_000_000
    assert f.backstop == 0
    assert f.surplus == 46_000_000 - 43_200_000


def test_carry_in_larger_than_the_need_charges_nobody() -> None:
    f = quote(members=500, payouts=10_000, fee_bp=800, carry_in=50_000)
    assert f.fee == 800
    assert f.share == 0
    assert f.collected == 0
    assert f.backstop == 0
    assert f.surplus == 50_000 - 10_800


def test_carry_in_reduces_the_share() -> None:
    # need = 108,000 - 8,000 = 100,000 over 1,000 members: exactly 1 yuan, nothing over.
    f = quote(members=1_000, payouts=yuan(1_000), fee_bp=800, carry_in=8_000)
    assert f.share == 100
    assert (f.backstop, f.surplus) == (0, 0)


def test_per_case_cap_leaves_the_rest_to_the_operator() -> None:
    f = quote(members=1_000, payouts=yuan(1_000), fee_bp=800, cases=1, per_case_cap=10)
    assert f.share == 108
    assert f.member_cap == 10
    assert f.collected == 10 * 1_000
    assert f.backstop == 108_000 - 10 * 1_000
    assert f.surplus == 0


def test_rounding_up_is_carried_as_surplus() -> None:
    # 1,000 fen over 3 members: 334 each, 2 fen over.
    f = quote(members=3, payouts=1_000, fee_bp=0)
    assert f.share == 334
    assert f.collected == 1_002
    assert f.surplus == 2


def test_no_members_means_no_share_and_the_operator_pays() -> None:
    f = quote(members=0, payouts=5_000, fee_bp=800)
    assert f.share == 0
    assert f.collected == 0
    assert f.backstop == 5_400
    assert f.surplus == 0


def test_empty_round_moves_nothing() -> None:
    f = quote(members=10, payouts=0, fee_bp=800, cases=0)
    assert (f.fee, f.share, f.collected, f.backstop, f.surplus) == (0, 0, 0, 0, 0)


def test_yearly_cap_limits_one_member() -> None:
    share = 500
    assert member_charge(share, None, 120) == 120
    assert member_charge(share, None, 0) == 0
    assert member_charge(share, None, -30) == 0  # over the cap already: nothing, never a refund
    assert member_charge(share, 200, 120) == 120
    assert member_charge(share, 100, 120) == 100
    assert member_charge(share, None, None) == 500
    charges = [member_charge(share, None, r) for r in (None, 120, None)]
    f = figures(
        members=3,
        cases=1,
        payouts=1_500,
        fee_bp=0,
        carry_in=0,
        charged=sum(charges),
        per_case_cap=None,
    )
    assert f.collected == 1_120
    assert f.backstop == 380
    assert f.surplus == 0


def test_small_helpers() -> None:
    assert management_fee(100_000, 800) == 8_000
    assert per_head_share(0, 10) == 0
    assert per_head_share(-5, 10) == 0
    assert per_head_share(10, 0) == 0
    assert per_head_share(11, 10) == 2
    assert round_cap(None, 3) is None
    assert round_cap(10, 3) == 30
    assert round_cap(10, 0) == 0
    assert settle(100, 60) == (40, 0)
    assert settle(100, 130) == (0, 30)
    assert settle(-20, 0) == (0, 20)


def test_as_dict_lists_every_figure() -> None:
    d = quote(members=1_000, payouts=yuan(1_000), fee_bp=800).as_dict()
    assert d == {
        "members": 1_000,
        "cases": 1,
        "payouts": 100_000,
        "fee": 8_000,
        "carry_in": 0,
        "share": 108,
        "member_cap": None,
        "collected": 108_000,
        "backstop": 0,
        "surplus": 0,
    }
