"""Money: integer minor units of an ISO 4217 currency; Decimal for everything else.

Rounding rule (the only one in Duely): an exact Decimal result is rounded to a
whole number of minor units with ROUND_HALF_UP (0.5 goes away from zero), and
only at the points named in `pricing.py`: line amounts, each discount, each
tax rate, and the largest-remainder shares. Nothing is rounded twice and no
float is ever involved, so the same inputs always give the same cents, yen or fils.

Currencies are the current ISO 4217 codes that have a minor unit, and the
number of minor units is ISO 4217's (the table of the `iso4217` package): USD 2,
JPY 0, KWD 3, CLF 4, and HUF, IDR, COP 2 and IQD 3 where CLDR's display
precision differs. Amounts on the API are already in minor units
(`unit_amount: 1999` is $19.99, `unit_amount: 500` is ¥500), so the exponent
matters for conversion and display, not for arithmetic. Display goes through
Babel, which shows the locale's usual digits.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# The contract's currency table; minor_unit_exponent and to_major are re-exported for this domain.
from duely_contracts.currency import format_amount as currency_format_amount
from duely_contracts.currency import minor_unit_exponent, minor_units, to_major  # noqa: F401

# Largest amount (minor units) a line or an invoice may reach: far below
# BIGINT's 9.2e18, so sums of many lines can never overflow the column.
MAX_AMOUNT = 10**15
MAX_UNIT_AMOUNT = 10**12


def normalize_currency(code: str) -> str | None:
    """Lower-case ISO 4217 code when it is a current currency with a minor unit, else None."""
    code = (code or "").strip().lower()
    return code if code in minor_units() else None


def round_half_up(value: Decimal) -> int:
    """Exact decimal → whole minor units, halves away from zero."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_amount(quantity: Decimal, unit_amount: int) -> int:
    """quantity × unit_amount (already minor units), rounded half-up once."""
    return round_half_up(quantity * unit_amount)


def format_amount(amount: int, currency: str, locale: str = "en_US") -> str:
    """For humans only: '$19.99', '¥500', 'KWD 1.250'."""
    return currency_format_amount(amount, currency, locale)


def decimal_str(value: Decimal) -> str:
    """Canonical decimal text without exponent: Decimal('10.00') → '10', '8.250' → '8.25'."""
    return format(value.normalize(), "f")
