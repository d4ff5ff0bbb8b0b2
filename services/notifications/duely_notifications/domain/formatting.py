"""Human formatting of money, quantities, dates and payment terms for emails."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal

from duely_contracts.currency import format_amount


def format_money(minor_units: int, currency: str, locale: str = "en_US") -> str:
    """1234, 'usd' → '$12.34'; 1234, 'jpy' → '¥1,234' (precision by currency)."""
    return format_amount(minor_units, currency, locale)


def format_quantity(quantity: str, locale: str = "en_US") -> str:
    """'2.000' → '2', '1.5' → '1.5', '1000' → '1,000' (never through a float)."""
    value = Decimal(quantity)
    value = value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
    return format_decimal(value, locale=locale, decimal_quantization=False)


def format_day(value: date | datetime | None, locale: str = "en_US") -> str | None:
    """date(2026, 3, 3) → 'March 3, 2026'."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, format="long", locale=locale)


def format_terms(payment_terms: str | None) -> str | None:
    """'net_30' → 'Net 30', 'due_on_receipt' → 'Due on receipt'."""
    if not payment_terms:
        return None
    words = payment_terms.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def format_percentage(percentage: str) -> str:
    """'8.250' → '8.25%'."""
    value = Decimal(percentage).normalize()
    text = format(value, "f")
    return f"{text}%"
