"""Money: integer minor units of an ISO 4217 currency; Decimal for everything else.

Rounding rule (the only one in Duely): an exact Decimal result is rounded to a
whole number of minor units with ROUND_HALF_UP (0.5 goes away from zero), and
only at the points named in `tax.py`: once per line amount and once per tax
rate. Nothing is rounded twice and no float is ever involved, so the same
inputs always give the same cents, yen or fils.

The number of minor units comes from CLDR via Babel: USD 2, JPY 0, KWD 3.
Amounts on the API are already in minor units (`unit_amount: 1999` is
$19.99, `unit_amount: 500` is ¥500), so the precision matters for display
and for validating inputs, not for arithmetic.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision, list_currencies

# Largest amount (minor units) a line or an invoice may reach: far below
# BIGINT's 9.2e18, so sums of many lines can never overflow the column.
MAX_AMOUNT = 10**15
MAX_UNIT_AMOUNT = 10**12


@lru_cache(maxsize=1)
def _known_currencies() -> frozenset[str]:
    return frozenset(code.lower() for code in list_currencies())


def normalize_currency(code: str) -> str | None:
    """Lower-case ISO 4217 code when Babel knows it, else None."""
    code = (code or "").strip().lower()
    return code if code in _known_currencies() else None


def minor_unit_exponent(currency: str) -> int:
    """Digits after the decimal point: 2 for USD, 0 for JPY, 3 for KWD."""
    return get_currency_precision(currency.upper())


def round_half_up(value: Decimal) -> int:
    """Exact decimal → whole minor units, halves away from zero."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_amount(quantity: Decimal, unit_amount: int) -> int:
    """quantity × unit_amount (already minor units), rounded half-up once."""
    return round_half_up(quantity * unit_amount)


def to_major(amount: int, currency: str) -> Decimal:
    """1999 USD → Decimal('19.99'); 500 JPY → Decimal('500')."""
    return Decimal(amount).scaleb(-minor_unit_exponent(currency))


def format_amount(amount: int, currency: str, locale: str = "en_US") -> str:
    """For humans only: '$19.99', '¥500', 'KWD 1.250'."""
    return format_currency(to_major(amount, currency), currency.upper(), locale=locale)


def decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0
