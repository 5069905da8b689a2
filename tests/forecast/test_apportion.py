"""forecast/apportion.py is the domain's published rule on arrays: equal element-wise.

Every output of the vectorised round (fee, share, round cap, each group's charge under the annual
cap, collected, backstop, surplus) is compared with `huzhu.domain.apportionment` applied to the
same numbers one by one, including carry-in, caps and rounding.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from huzhu.domain import apportionment as domain
from huzhu.forecast.apportion import apportion

fen = st.integers(min_value=0, max_value=10**12)
caps = st.one_of(st.none(), st.integers(min_value=1, max_value=100_000))


@st.composite
def rounds(draw: st.DrawFn) -> dict:
    paths = draw(st.integers(min_value=1, max_value=6))
    groups = draw(st.integers(min_value=1, max_value=4))
    path = st.fixed_dictionaries(
        {
            "cases": st.integers(min_value=0, max_value=5_000),
            "payouts": fen,
            "carry_in": st.integers(min_value=0, max_value=10**9),
            "counts": st.lists(
                st.integers(min_value=0, max_value=10**7), min_size=groups, max_size=groups
            ),
            "year": st.lists(
                st.integers(min_value=0, max_value=30_000), min_size=groups, max_size=groups
            ),
        }
    )
    return {
        "paths": draw(st.lists(path, min_size=paths, max_size=paths)),
        "fee_bp": draw(st.integers(min_value=0, max_value=5000)),
        "per_case_cap": draw(caps),
        "per_year_cap": draw(st.one_of(st.none(), st.integers(min_value=1, max_value=30_000))),
    }


def arr(values: list[int]) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


@settings(max_examples=300, deadline=None)
@given(rounds())
def test_vectorised_round_equals_the_domain_rule(r: dict) -> None:
    p = r["paths"]
    counts = arr([x["counts"] for x in p])
    year = arr([x["year"] for x in p])
    got = apportion(
        members=counts.sum(axis=1),
        cases=arr([x["cases"] for x in p]),
        payouts=arr([x["payouts"] for x in p]),
        carry_in=arr([x["carry_in"] for x in p]),
        group_counts=counts,
        year_charged=year,
        fee_bp=r["fee_bp"],
        per_case_cap=r["per_case_cap"],
        per_year_cap=r["per_year_cap"],
    )
    for i, x in enumerate(p):
        members = sum(x["counts"])
        fee = domain.management_fee(x["payouts"], r["fee_bp"])
        need = x["payouts"] + fee - x["carry_in"]
        share = domain.per_head_share(need, members)
        cap = domain.round_cap(r["per_case_cap"], x["cases"])
        uncapped = domain.member_charge(share, cap, None)
        charges = [
            domain.member_charge(
                uncapped, None, None if r["per_year_cap"] is None else r["per_year_cap"] - y
            )
            for y in x["year"]
        ]
        charged = sum(n * c for n, c in zip(x["counts"], charges, strict=True))
        want = domain.figures(
            members=members,
            cases=x["cases"],
            payouts=x["payouts"],
            fee_bp=r["fee_bp"],
            carry_in=x["carry_in"],
            charged=charged,
            per_case_cap=r["per_case_cap"],
        )
        assert got.fee[i] == want.fee
        assert got.share[i] == want.share
        assert (got.member_cap is None) == (want.member_cap is None)
        if got.member_cap is not None:
            assert got.member_cap[i] == want.member_cap
        assert list(got.charge[i]) == charges
        assert got.collected[i] == want.collected
        assert got.backstop[i] == want.backstop
        assert got.surplus[i] == want.surplus
        binds = any(c < uncapped and n > 0 for c, n in zip(charges, x["counts"], strict=True))
        assert bool(got.cap_binds[i]) == binds
    assert got.collected.dtype == np.int64 and got.charge.dtype == np.int64


def test_domain_charge_matches_the_single_member_rule_at_the_cap_edge() -> None:
    """A member 5 fen short of the annual cap pays 5 fen; one over it pays nothing."""
    got = apportion(
        members=arr([3]),
        cases=arr([1]),
        payouts=arr([100]),
        carry_in=arr([0]),
        group_counts=arr([[1, 1, 1]]),
        year_charged=arr([[0, 18795, 18805]]),
        fee_bp=800,
        per_case_cap=None,
        per_year_cap=18800,
    )
    assert list(got.charge[0]) == [36, 5, 0]
    assert got.backstop[0] == 108 - 41
