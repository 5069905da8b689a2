"""What a forecast assumes, as frozen data: every number is a named field of a TOML file.

Rates are floats (they are probabilities and hazards, not money); money stays in fen. The default
file for each plan is `forecast/data/<plan>.toml`, where each field carries its source or the reason
for its value; a scenario file overrides fields of it (see `scenario.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from huzhu.domain.money import Fen
from huzhu.domain.plan_rules import Severity
from huzhu.domain.plan_schedule import Calendar
from huzhu.domain.plans import Plan

# Members are counted in five-year age bands: 0-4, 5-9, ..., 55-59 (and on to 70 for senior plans).
BAND_YEARS = 5
SEXES = ("F", "M")
# Health risk classes: members who recently declared themselves healthy ("select") and the rest.
RISKS = ("select", "ultimate")


@dataclass(frozen=True)
class Knot:
    day: int  # days since the plan's launch
    signups: float  # cumulative sign-ups by then


@dataclass(frozen=True)
class Surge:
    """Extra sign-ups in a run of rounds, e.g. a campaign in one province."""

    first_round: int
    rounds: int
    joins_per_round: float
    # Share of the surge that is not "select": people who joined because they expect to claim.
    ultimate_share: float


@dataclass(frozen=True)
class Growth:
    knots: tuple[Knot, ...]
    steady_join_rate: float  # sign-ups per round after the last knot, as a share of the headcount
    scale: float = 1.0  # multiplies the knots (a plan smaller or larger than the template)
    stop_after_round: int | None = None  # no sign-ups from this round on ("growth stops")
    competitor_share: float = 0.0  # share of would-be sign-ups a competitor takes
    surges: tuple[Surge, ...] = ()


@dataclass(frozen=True)
class Exits:
    churn_per_year: float  # baseline hazard of leaving, whatever the price
    price_sensitivity: float  # extra chance of leaving in a round, per yuan of the last share
    healthy_leave_factor: float  # select members leave this many times as readily on price


@dataclass(frozen=True)
class Incidence:
    """Annual claim rates per member, indexed [sex][band], before the multipliers."""

    illness: tuple[tuple[float, ...], tuple[float, ...]]
    accident: tuple[tuple[float, ...], tuple[float, ...]]
    multiplier: float  # the whole table scaled (calibration, or a scenario's +30%)
    select_factor: float  # incidence of select members relative to the rest
    wear_off_per_year: float  # hazard of a select member becoming "ultimate"
    claim_lag_rounds: int  # rounds from diagnosis to the round that pays it


@dataclass(frozen=True)
class Mix:
    """Who joins: shares by age band (sums to 1) and the share of men."""

    bands: tuple[float, ...]
    male_share: float


@dataclass(frozen=True)
class Rules:
    """The plan's published rules that the forecast applies (a scenario may change them)."""

    fee_bp: int
    per_case_cap: Fen | None
    per_year_cap: Fen | None
    activation_threshold: int
    payout_by_band: tuple[Fen, ...]
    illness_wait_days: int
    accident_wait_days: int
    exit_age_years: int | None
    calendar: Calendar
    # Share of the illness incidence the plan covers (cancer only, critical illness but not
    # cancer, or both) and whether it covers accidents.
    illness_share: float = 1.0
    covers_accident: bool = True

    @classmethod
    def of_plan(cls, plan: Plan, bands: int) -> Rules:
        payouts = []
        for b in range(bands):
            age = b * BAND_YEARS
            amounts = [_payout(plan, a) for a in range(age, age + BAND_YEARS)]
            # The band's payout is the mean over its ages (exact when bands align with the plan's).
            payouts.append(sum(amounts) // BAND_YEARS)
        return cls(
            fee_bp=plan.management_fee_bp,
            per_case_cap=plan.caps.per_case_per_member,
            per_year_cap=plan.caps.per_year_per_member,
            activation_threshold=plan.activation_threshold,
            payout_by_band=tuple(payouts),
            illness_wait_days=plan.waiting.illness_days,
            accident_wait_days=plan.waiting.accident_days,
            exit_age_years=plan.eligibility.exit_age_years,
            calendar=plan.calendar,
        )


def _payout(plan: Plan, age: int) -> Fen:
    """The payout at an age; where it depends on severity, the mean over severities (no public
    figure splits mild from severe cases)."""
    plain = plan.payout_for(age, None)
    if plain is not None:
        return plain
    found = [p for s in Severity if (p := plan.payout_for(age, s)) is not None]
    return sum(found) // len(found) if found else 0


@dataclass(frozen=True)
class Assumptions:
    plan_id: str
    launch: date  # day 0 of the growth curve
    start: date  # the forecast's first day
    initial_members: int  # members present at `start` (past their waiting period)
    growth: Growth
    exits: Exits
    incidence: Incidence
    mix: Mix
    rules: Rules
    sources: dict[str, str] = field(default_factory=dict)  # field -> source or reason
    scenario: str = "defaults"

    @property
    def bands(self) -> int:
        return len(self.mix.bands)


@dataclass(frozen=True)
class PastRound:
    announce_date: date
    members: int
    cases: int
    payouts: Fen
    share: Fen
    joins: int
    exits: int


@dataclass(frozen=True)
class History:
    """A plan's actual state: its live members in cells and its past rounds."""

    # counts[band][sex] -> list of (days since joining at `start`, members)
    cells: tuple[tuple[int, int, int, int], ...] = ()  # (band, sex, days_joined, count)
    rounds: tuple[PastRound, ...] = ()
    carry_in: Fen = 0
    year_charged: Fen = 0  # the most one member has been charged this calendar year

    @property
    def members(self) -> int:
        return sum(c[3] for c in self.cells)


NO_HISTORY = History()
