"""Money in fen: exact parsing of yuan text, formatting, and the integer helpers."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huzhu.domain.errors import InvalidInput
from huzhu.domain.money import (
    FEN_PER_YUAN,
    MAX_FEN,
    apply_basis_points_floor,
    ceil_div,
    check_amount,
    format_yuan,
    parse_yuan,
    yuan,
)

fen_values = st.integers(min_value=-MAX_FEN, max_value=MAX_FEN)


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("0.03", 3),
        ("300000", 30_000_000),
        ("1,000.50", 100_050),
        (".5", 50),
        ("0.1", 10),
        ("0.10", 10),
        ("188", 18_800),
        ("1,000,000", 100_000_000),
        ("12345678.99", 1_234_567_899),
        ("0", 0),
        ("0.00", 0),
        ("+2.5", 250),
        ("  7.25 ", 725),
        ("5.", 500),
        # The largest amount allowed, and one fen below it: no float would keep these exact.
        ("10,000,000,000,000", MAX_FEN),
        ("9999999999999.99", MAX_FEN - 1),
    ],
)
def test_parse_yuan_is_exact(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


def test_parse_yuan_refuses_negative_unless_allowed() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_yuan("-1.5", field="top_up")
    assert exc.value.code == "amount-negative"
    assert exc.value.field == "top_up"
    assert parse_yuan("-1.5", allow_negative=True) == -150
    assert parse_yuan("-.05", allow_negative=True) == -5
    assert parse_yuan("-1,000.50", allow_negative=True) == -100_050


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "amount-malformed"),
        (" ", "amount-malformed"),
        ("abc", "amount-malformed"),
        ("1,00", "amount-malformed"),
        ("1,0000", "amount-malformed"),
        (",100", "amount-malformed"),
        ("1e5", "amount-malformed"),
        ("NaN", "amount-malformed"),
        ("inf", "amount-malformed"),
        ("--1", "amount-malformed"),
        ("+-1", "amount-malformed"),
        (".", "amount-malformed"),
        ("-", "amount-malformed"),
        ("1.2.3", "amount-malformed"),
        ("1 000", "amount-malformed"),
        ("¥5", "amount-malformed"),
        ("0x10", "amount-malformed"),
        ("1_000", "amount-malformed"),
        ("1.001", "amount-precision"),
        ("0.005", "amount-precision"),
        ("1.000", "amount-precision"),
        ("10000000000000.01", "amount-too-large"),
        ("99999999999999", "amount-too-large"),
    ],
)
def test_parse_yuan_refuses_with_the_rule_broken(text: str, code: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_yuan(text, field="payout")
    assert exc.value.code == code
    assert exc.value.field == "payout"


def test_parse_yuan_too_large_also_applies_to_negatives() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_yuan("-10000000000000.01", allow_negative=True)
    assert exc.value.code == "amount-too-large"


def test_parse_yuan_refuses_non_strings_as_malformed() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_yuan(5)  # type: ignore[arg-type]
    assert exc.value.code == "amount-malformed"


def test_parse_yuan_refuses_a_huge_digit_string_as_too_large() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_yuan("9" * 5000)
    assert exc.value.code == "amount-too-large"


def test_check_amount() -> None:
    assert check_amount(0) == 0
    assert check_amount(MAX_FEN) == MAX_FEN
    assert check_amount(-MAX_FEN, allow_negative=True) == -MAX_FEN
    for bad, code in [
        (True, "amount-type"),
        (1.0, "amount-type"),
        ("1", "amount-type"),
        (-1, "amount-negative"),
        (MAX_FEN + 1, "amount-too-large"),
    ]:
        with pytest.raises(InvalidInput) as exc:
            check_amount(bad)  # type: ignore[arg-type]
        assert exc.value.code == code, bad


def test_yuan_constant_helper() -> None:
    assert yuan(188) == 18_800
    assert FEN_PER_YUAN == 100


@pytest.mark.parametrize(
    ("fen", "grouped", "plain"),
    [
        (0, "0.00", "0.00"),
        (3, "0.03", "0.03"),
        (10, "0.10", "0.10"),
        (100_050, "1,000.50", "1000.50"),
        (30_000_000, "300,000.00", "300000.00"),
        (-5, "-0.05", "-0.05"),
        (-100_050, "-1,000.50", "-1000.50"),
        (MAX_FEN, "10,000,000,000,000.00", "10000000000000.00"),
    ],
)
def test_format_yuan(fen: int, grouped: str, plain: str) -> None:
    assert format_yuan(fen) == grouped
    assert format_yuan(fen, grouping=False) == plain


@settings(max_examples=300)
@given(fen_values)
def test_format_then_parse_round_trips(fen: int) -> None:
    assert parse_yuan(format_yuan(fen), allow_negative=True) == fen
    assert parse_yuan(format_yuan(fen, grouping=False), allow_negative=True) == fen


@settings(max_examples=200)
@given(fen_values)
def test_format_yuan_value_is_exact(fen: int) -> None:
    # Independent of parse_yuan: read the text back as an exact decimal fraction.
    text = format_yuan(fen, grouping=False)
    assert Fraction(text) * 100 == fen
    assert len(text.split(".")[1]) == 2


@settings(max_examples=300)
@given(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.integers(min_value=1, max_value=10**20),
)
def test_ceil_div_matches_exact_ceiling(numerator: int, denominator: int) -> None:
    result = ceil_div(numerator, denominator)
    assert result == math.ceil(Fraction(numerator, denominator))
    assert result == -(-numerator // denominator)
    # The smallest integer q with q * d >= n.
    assert result * denominator >= numerator
    assert (result - 1) * denominator < numerator


@pytest.mark.parametrize(("n", "d", "q"), [(0, 5, 0), (1, 5, 1), (5, 5, 1), (6, 5, 2), (-6, 5, -1)])
def test_ceil_div_examples(n: int, d: int, q: int) -> None:
    assert ceil_div(n, d) == q


@pytest.mark.parametrize("denominator", [0, -1])
def test_ceil_div_refuses_non_positive_denominator(denominator: int) -> None:
    with pytest.raises(ValueError):
        ceil_div(10, denominator)


@settings(max_examples=300)
@given(
    st.integers(min_value=0, max_value=MAX_FEN),
    st.integers(min_value=0, max_value=10_000),
)
def test_basis_points_floor_never_exceeds_the_rate(amount: int, bp: int) -> None:
    exact = Fraction(amount * bp, 10_000)
    result = apply_basis_points_floor(amount, bp)
    assert isinstance(result, int)
    assert result <= exact
    assert result > exact - 1


@pytest.mark.parametrize(
    ("amount", "bp", "fee"),
    [
        (100_000, 800, 8_000),  # 8% of 1,000 yuan
        (40_000_000, 800, 3_200_000),
        (12, 800, 0),  # 0.96 fen rounds down
        (13, 800, 1),  # 1.04 fen
        (99_999, 1, 9),
        (5, 10_000, 5),
        (5, 0, 0),
    ],
)
def test_basis_points_floor_examples(amount: int, bp: int, fee: int) -> None:
    assert apply_basis_points_floor(amount, bp) == fee
