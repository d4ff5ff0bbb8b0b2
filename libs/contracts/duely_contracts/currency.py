"""The scale of every amount on the bus: integer minor units of an ISO 4217 currency.

The contract fixes the scale, so every service converts with this one table
(ISO 4217's, via the `iso4217` package) — not with CLDR's display precision,
which differs for some currencies (HUF, IDR, COP 2; IQD 3).
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from iso4217 import Currency


@lru_cache(maxsize=1)
def minor_units() -> dict[str, int]:
    """Current ISO 4217 codes → minor unit. Codes without one (gold XAU, XXX, XTS...) can't be invoiced."""
    return {c.code.lower(): c.exponent for c in Currency if c.exponent is not None}


def minor_unit_exponent(currency: str) -> int:
    """Digits after the decimal point: 2 for USD, 0 for JPY, 3 for KWD."""
    return minor_units()[currency.lower()]


def to_major(amount: int, currency: str) -> Decimal:
    """1999 USD → Decimal('19.99'); 500 JPY → Decimal('500')."""
    return Decimal(amount).scaleb(-minor_unit_exponent(currency))


def format_amount(amount: int, currency: str, locale: str = "en_US") -> str:
    """For humans: 37475 usd → '$374.75', 500 jpy → '¥500', 1234 eur/de_DE → '12,34 €'.

    Never hides a real digit: where CLDR shows fewer digits than ISO 4217 has
    (IQD, HUF), the amount keeps its minor units instead of being rounded for display.
    """
    from babel.numbers import format_currency  # display only; the contract's arithmetic needs no Babel

    return format_currency(to_major(amount, currency), currency.upper(), locale=locale, decimal_quantization=False)
