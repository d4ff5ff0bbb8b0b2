"""Pure presentation logic of the hosted page: money in the history, payable statuses, card choices."""

from __future__ import annotations

import pytest

from duely_portal.domain import presentation as p


@pytest.mark.parametrize("amount, currency, expected", [
    (27874, "usd", "$278.74"),
    (0, "usd", "$0.00"),
    (5, "usd", "$0.05"),
    (123456789, "usd", "$1,234,567.89"),
    (5000, "jpy", "¥5,000"),
    (1000, "kwd", "KWD1.000"),  # three decimal places
    (-250, "usd", "-$2.50"),
])
def test_format_money_uses_the_currency_precision(amount, currency, expected):
    assert p.format_money(amount, currency) == expected


def test_format_money_follows_the_locale():
    assert p.format_money(123456, "eur", "de_DE") == "1.234,56\xa0€"


@pytest.mark.parametrize("status, amount_due, payable", [
    ("issued", 100, True), ("past_due", 100, True), ("issued", 0, False), ("paid", 0, False),
    ("paid", 100, False), ("void", 100, False), ("uncollectible", 100, False), ("draft", 100, False),
])
def test_is_payable(status, amount_due, payable):
    assert p.is_payable(status, amount_due) is payable


def test_payment_method_choices_are_the_sandbox_test_ids():
    assert [v for v, _ in p.PAYMENT_METHOD_CHOICES] == ["pm_card_visa", "pm_card_chargeDeclined"]
    assert p.is_known_payment_method("pm_card_visa")
    assert not p.is_known_payment_method("pm_anything")
    assert not p.is_known_payment_method("")


def test_failure_messages():
    assert p.failure_message("card_declined") == "Your card was declined."
    assert p.failure_message("weird_code") == "Your payment did not go through (weird code)."
    assert p.failure_message(None) == "Your payment did not go through."


def test_every_page_label_is_translated():
    from duely_presentation.labels import page
    english = set(page.LABELS["en"])
    assert all(key.startswith("page_") for key in english)  # no collision with document or email labels
    for language in ("de", "fr"):
        assert set(page.LABELS[language]) == english, language
