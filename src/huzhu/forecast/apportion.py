"""The published round rule of `huzhu.domain.apportionment`, on int64 arrays.

One element per Monte Carlo path; members are grouped by how much of the calendar-year cap they
have left (every member of a tenure cohort has the same history, so the same remaining cap). Each
step is the domain function's arithmetic, applied element-wise; tests/forecast/test_apportion.py
proves with Hypothesis that every output equals the domain function's, including caps, the annual
cap, carry-in and rounding. Integers only: no float touches an amount.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from huzhu.domain.money import Fen

Int = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]


def management_fee(payouts: Int, fee_bp: int) -> Int:
    """Rounded down to the fen (`apply_basis_points_floor`)."""
    return (payouts * np.int64(fee_bp)) // np.int64(10_000)


def per_head_share(need: Int, members: Int) -> Int:
    """need / members rounded up; 0 when need <= 0 or there are no members."""
    safe = np.maximum(members, 1)
    share = -((-need) // safe)
    return np.where((need <= 0) | (members <= 0), np.int64(0), share).astype(np.int64)


def round_cap(per_case_cap: Fen | None, cases: Int) -> Int | None:
    return None if per_case_cap is None else cases * np.int64(per_case_cap)


def member_charge(share: Int, cap: Int | None, year_remaining: Int | None) -> Int:
    """Shapes broadcast: share and cap per path, year_remaining per path and group."""
    charge = share
    if cap is not None:
        charge = np.minimum(charge, cap)
    if year_remaining is not None:
        charge = np.minimum(charge, np.maximum(year_remaining, 0))
    return np.asarray(charge, dtype=np.int64)


def settle(need: Int, charged: Int) -> tuple[Int, Int]:
    backstop = np.maximum(need - charged, 0)
    return backstop, charged + backstop - need


@dataclass(frozen=True)
class RoundArrays:
    fee: Int
    share: Int
    member_cap: Int | None
    charge: Int  # per path and group
    collected: Int
    backstop: Int
    surplus: Int
    cap_binds: Bool  # some member paid less than the share because of the annual cap


def apportion(
    *,
    members: Int,
    cases: Int,
    payouts: Int,
    carry_in: Int,
    group_counts: Int,
    year_charged: Int,
    fee_bp: int,
    per_case_cap: Fen | None,
    per_year_cap: Fen | None,
) -> RoundArrays:
    """One round for every path. `group_counts` and `year_charged` are (paths, groups)."""
    fee = management_fee(payouts, fee_bp)
    need = payouts + fee - carry_in
    share = per_head_share(need, members)
    cap = round_cap(per_case_cap, cases)
    uncapped = member_charge(share, cap, None)
    remaining = None if per_year_cap is None else np.int64(per_year_cap) - year_charged
    charge = member_charge(uncapped[:, None], None if cap is None else cap[:, None], remaining)
    charge = np.broadcast_to(charge, group_counts.shape)
    collected = (group_counts * charge).sum(axis=1)
    backstop, surplus = settle(need, collected)
    binds = np.asarray(((charge < uncapped[:, None]) & (group_counts > 0)).any(axis=1))
    return RoundArrays(fee, share, cap, charge, collected, backstop, surplus, binds)
