"""The contract's currency scale: ISO 4217 minor units, and display that never hides a digit."""

from decimal import Decimal

import pytest

from duely_contracts.currency import format_amount, minor_unit_exponent, to_major


@pytest.mark.parametrize("currency, exponent", [("usd", 2), ("JPY", 0), ("kwd", 3), ("huf", 2), ("iqd", 3)])
def test_minor_units_follow_iso_4217(currency, exponent):
    assert minor_unit_exponent(currency) == exponent


def test_to_major_is_exact():
    assert to_major(1, "usd") == Decimal("0.01")
    assert to_major(1999, "jpy") == Decimal("1999")
    assert to_major(1250, "kwd") == Decimal("1.250")


def test_display_keeps_every_minor_unit_even_where_cldr_shows_fewer():
    assert format_amount(37475, "usd") == "$374.75"
    assert format_amount(500, "jpy") == "¥500"
    assert format_amount(123456, "eur", "de_DE") == "1.234,56\xa0€"
    # CLDR displays HUF and IQD with 0 digits; the invoice's real minor units must still show.
    assert format_amount(12345, "huf") == "HUF123.45"
    assert format_amount(12345, "iqd") == "IQD12.345"
