"""Money is an integer number of fen (分, 1/100 yuan) everywhere.

Yuan strings from people ("0.03", "300000", "1,000.50") are parsed exactly, digit by digit, never
through float. Amounts are capped at MAX_FEN so that every amount fits a signed 64-bit column and a
JSON number that JavaScript reads exactly (2**53).
"""

from __future__ import annotations

import re

from huzhu.domain.errors import InvalidInput

Fen = int

FEN_PER_YUAN = 100
# 10^13 yuan: far above any plan's yearly flow, far below 2**53 fen.
MAX_FEN = 10**15
# Longer text cannot be a valid amount; refusing it early keeps int() away from huge strings.
_MAX_TEXT = 32

_YUAN = re.compile(
    r"""^(?P<sign>[-+]?)
        (?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?
        (?:\.(?P<frac>[0-9]*))?$""",
    re.VERBOSE,
)


def yuan(amount: int) -> Fen:
    """Whole yuan to fen, for constants in code and tests."""
    return amount * FEN_PER_YUAN


def parse_yuan(text: str, *, field: str = "amount", allow_negative: bool = False) -> Fen:
    """Parse a yuan amount such as "1,000.50" into fen, exactly.

    More than two decimal places is an error rather than a silent rounding: a fen is the smallest
    amount any plan moves.
    """
    raw = text.strip() if isinstance(text, str) else ""
    if len(raw) > _MAX_TEXT:
        raise InvalidInput(
            f"amount has {len(raw)} characters; at most {_MAX_TEXT}",
            code="amount-too-large",
            field=field,
        )
    match = _YUAN.match(raw)
    if not raw or match is None or (match["int"] is None and not match["frac"]):
        raise InvalidInput(
            f"{text!r} is not an amount in yuan (examples: 0.03, 300000, 1,000.50)",
            code="amount-malformed",
            field=field,
        )
    frac = match["frac"] or ""
    if len(frac) > 2:
        raise InvalidInput(
            f"{text!r} has more than two decimal places; amounts are kept to the fen",
            code="amount-precision",
            field=field,
        )
    whole = int((match["int"] or "0").replace(",", ""))
    fen = whole * FEN_PER_YUAN + int(frac.ljust(2, "0"))
    if match["sign"] == "-":
        fen = -fen
    check_amount(fen, field=field, allow_negative=allow_negative)
    return fen


def check_amount(fen: int, *, field: str = "amount", allow_negative: bool = False) -> Fen:
    """Refuse amounts that are not integers, are negative (unless allowed) or absurdly large."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise InvalidInput(f"{fen!r} is not a whole number of fen", code="amount-type", field=field)
    if fen < 0 and not allow_negative:
        raise InvalidInput(
            f"amount must not be negative, got {fen} fen", code="amount-negative", field=field
        )
    if abs(fen) > MAX_FEN:
        raise InvalidInput(
            f"amount {fen} fen is larger than {MAX_FEN}", code="amount-too-large", field=field
        )
    return fen


def format_yuan(fen: Fen, *, grouping: bool = True) -> str:
    """Format fen as yuan with two decimals: 100050 -> "1,000.50"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    whole_text = f"{whole:,}" if grouping else str(whole)
    return f"{sign}{whole_text}.{cents:02d}"


def ceil_div(numerator: int, denominator: int) -> int:
    """Integer division rounding up (towards +infinity), exact for any size."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    return -(-numerator // denominator)


def apply_basis_points_floor(amount: Fen, basis_points: int) -> Fen:
    """amount x bp / 10,000 rounded down to the fen.

    Used for the management fee: rounding down means the operator never takes more than its
    published rate.
    """
    return (amount * basis_points) // 10_000
