"""The closing rules as pure functions (domain.lifecycle) and the refund's double entry."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huzhu.domain import lifecycle
from huzhu.domain.errors import Conflict, InvalidInput, RuleViolation
from huzhu.domain.ledger import refund_transaction

CLOSING = lifecycle.ClosingDates(date(2022, 1, 10), date(2022, 1, 28))


def test_the_claim_window_is_180_days_after_the_end_and_refunds_are_due_in_5_days() -> None:
    assert CLOSING.last_claim_day == date(2022, 7, 27)
    assert CLOSING.refund_due == date(2022, 1, 15)
    lifecycle.check_claim_window("xhb", CLOSING, date(2022, 7, 27))
    with pytest.raises(RuleViolation) as late:
        lifecycle.check_claim_window("xhb", CLOSING, date(2022, 7, 28))
    assert late.value.code == "claim-window-closed"


def test_joins_stop_on_the_notice_date_and_cover_ends_on_the_end_date() -> None:
    lifecycle.check_join("xhb", CLOSING, date(2022, 1, 9))
    lifecycle.check_join("xhb", None, date(2030, 1, 1))
    with pytest.raises(RuleViolation) as closing:
        lifecycle.check_join("xhb", CLOSING, date(2022, 1, 10))
    assert closing.value.code == "plan-closing"
    assert not lifecycle.cover_ended(CLOSING, date(2022, 1, 27))
    assert lifecycle.cover_ended(CLOSING, date(2022, 1, 28))


def test_dates_in_the_wrong_order_and_a_second_close_are_refused() -> None:
    with pytest.raises(InvalidInput) as reversed_:
        lifecycle.check_dates(date(2022, 1, 28), date(2022, 1, 10))
    assert reversed_.value.code == "end-before-notice"
    assert lifecycle.check_dates(date(2022, 1, 10), date(2022, 1, 10)).end_date == date(2022, 1, 10)
    with pytest.raises(Conflict) as twice:
        lifecycle.check_not_closed("xhb", CLOSING)
    assert twice.value.code == "plan-closed"
    with pytest.raises(InvalidInput) as period:
        lifecycle.check_period(date(2022, 2, 1), date(2022, 1, 1))
    assert period.value.code == "period-reversed"


@given(st.integers(0, 10**12), st.integers(0, 10**12))
def test_a_refund_always_balances_and_moves_the_whole_out_through_the_gateway(
    balances: int, shares: int
) -> None:
    if balances + shares == 0:
        with pytest.raises(InvalidInput):
            refund_transaction("p", "k", balances, shares)
        return
    txn = refund_transaction("p", "k", balances, shares)
    legs = {p.account: p.amount for p in txn.postings}
    assert sum(legs.values()) == 0
    assert legs["p:gateway-clearing"] == -(balances + shares)
    assert legs.get("p:member-funds", 0) == balances
    assert legs.get("p:operator-funding", 0) == -shares
