"""The arithmetic of an apportionment round (分摊), exact to the fen.

The published rule (also in README.md):

1. payouts  = the sum of the approved payouts taken into the round.
2. fee      = payouts x fee rate, rounded DOWN to the fen (the operator never takes more than
              its published rate).
3. need     = payouts + fee - carry_in, where carry_in is the surplus carried out of the
              plan's previous round.
4. share    = need / members, rounded UP to the fen (0 when need <= 0 or there are no members).
5. each member's charge = the smallest of: the share; the per-case cap x cases in the round;
              and what is left of the member's calendar-year cap.
6. charged  = the sum of every member's charge.
7. backstop = need - charged when that is positive (the operator pays what the caps hold back),
              else 0.
8. surplus  = charged + backstop - need: what rounding up collected over the need, carried into
              the next round.

So for every round, exactly: charged + backstop - surplus = payouts + fee - carry_in.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from huzhu.domain.money import Fen, apply_basis_points_floor, ceil_div


def management_fee(payouts: Fen, fee_bp: int) -> Fen:
    return apply_basis_points_floor(payouts, fee_bp)


def per_head_share(need: Fen, members: int) -> Fen:
    if need <= 0 or members <= 0:
        return 0
    return ceil_div(need, members)


def round_cap(per_case_cap: Fen | None, cases: int) -> Fen | None:
    """The most one member may be charged in a round with this many cases."""
    return None if per_case_cap is None else per_case_cap * cases


def member_charge(share: Fen, cap: Fen | None, year_remaining: Fen | None) -> Fen:
    charge = share
    if cap is not None:
        charge = min(charge, cap)
    if year_remaining is not None:
        charge = min(charge, max(0, year_remaining))
    return charge


def prepaid_charge(charge: Fen, balance: Fen) -> Fen:
    """A prepaid member pays what the balance holds, up to the charge, and never goes below zero;
    the round's backstop pays the rest (storage.repositories.charges does this in SQL)."""
    return min(charge, max(0, balance))


def settle(need: Fen, charged: Fen) -> tuple[Fen, Fen]:
    """(backstop, surplus) once the charges are known."""
    backstop = max(0, need - charged)
    return backstop, charged + backstop - need


@dataclass(frozen=True)
class RoundFigures:
    members: int
    cases: int
    payouts: Fen
    fee: Fen
    carry_in: Fen
    share: Fen
    member_cap: Fen | None
    collected: Fen
    backstop: Fen
    surplus: Fen

    @property
    def need(self) -> Fen:
        return self.payouts + self.fee - self.carry_in

    def balanced(self) -> bool:
        return self.collected + self.backstop - self.surplus == self.need

    def as_dict(self) -> dict[str, int | None]:
        return asdict(self)


def figures(
    *,
    members: int,
    cases: int,
    payouts: Fen,
    fee_bp: int,
    carry_in: Fen,
    charged: Fen,
    per_case_cap: Fen | None,
) -> RoundFigures:
    fee = management_fee(payouts, fee_bp)
    need = payouts + fee - carry_in
    backstop, surplus = settle(need, charged)
    return RoundFigures(
        members=members,
        cases=cases,
        payouts=payouts,
        fee=fee,
        carry_in=carry_in,
        share=per_head_share(need, members),
        member_cap=round_cap(per_case_cap, cases),
        collected=charged,
        backstop=backstop,
        surplus=surplus,
    )


def quote(
    *,
    members: int,
    payouts: Fen,
    fee_bp: int,
    cases: int = 1,
    carry_in: Fen = 0,
    per_case_cap: Fen | None = None,
) -> RoundFigures:
    """A round where every member owes the same (no one is at the yearly cap)."""
    fee = management_fee(payouts, fee_bp)
    share = per_head_share(payouts + fee - carry_in, members)
    charge = member_charge(share, round_cap(per_case_cap, cases), None)
    return figures(
        members=members,
        cases=cases,
        payouts=payouts,
        fee_bp=fee_bp,
        carry_in=carry_in,
        charged=charge * members,
        per_case_cap=per_case_cap,
    )
