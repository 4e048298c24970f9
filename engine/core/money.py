"""Money: `Decimal` at the edges, integer minor units of the shop's currency inside."""

from __future__ import annotations

from decimal import Decimal, DecimalException
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

# Amounts are capped well inside a signed 64-bit column after any sum.
MAX_MINOR = 10**15


@cache
def known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def is_currency(code: str) -> bool:
    return code in known_currencies()


@cache
def exponent(currency: str) -> int:
    """Digits after the decimal point for `currency` (USD 2, JPY 0, KWD 3)."""
    return get_currency_precision(currency)


class MoneyError(ValueError):
    pass


def to_minor(amount: Decimal, currency: str) -> int:
    """Exact conversion; raises MoneyError when `amount` has more digits than the currency."""
    try:
        scaled = Decimal(amount).scaleb(exponent(currency))
    except DecimalException as exc:  # not a number, or beyond Decimal's exponent range
        raise MoneyError("not a number") from exc
    if not scaled.is_finite():
        raise MoneyError("not a finite number")
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{currency} amounts have at most {exponent(currency)} decimal places")
    minor = int(scaled)
    if abs(minor) > MAX_MINOR:
        raise MoneyError("amount is too large")
    return minor


def from_minor(minor: int, currency: str) -> Decimal:
    digits = exponent(currency)
    return (Decimal(minor).scaleb(-digits)).quantize(Decimal(1).scaleb(-digits))
