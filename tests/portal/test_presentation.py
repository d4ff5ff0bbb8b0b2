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


def test_every_page_label_is_translated():
    from duely_presentation.labels import page
    english = set(page.LABELS["en"])
    assert all(key.startswith("page_") for key in english)  # no collision with document or email labels
    for language in ("de", "fr"):
        assert set(page.LABELS[language]) == english, language


@pytest.mark.parametrize("locale, failed, paid", [
    ("en_GB", "Visa ending 4242 — declined on 29 Nov 2026: insufficient funds",
     "Paid on 29 Nov 2026 with Visa ending 4242"),
    ("de_DE", "Visa mit Endziffern 4242 — abgelehnt am 29.11.2026: Deckung nicht ausreichend",
     "Bezahlt am 29.11.2026 mit Visa mit Endziffern 4242"),
    ("fr_FR", "Visa se terminant par 4242 — refusé le 29 nov. 2026\u00a0: provision insuffisante",
     "Payé le 29 nov. 2026 avec Visa se terminant par 4242"),
])
def test_history_lines_read_in_the_customers_language(locale, failed, paid):
    from babel.dates import format_date
    from datetime import date
    from duely_portal.domain.payment_history import history_line
    from duely_presentation.i18n import Formatter
    labels = Formatter(locale, "usd").labels
    on = format_date(date(2026, 11, 29), format="medium", locale=locale)
    assert history_line(labels, succeeded=False, date=on, brand="visa", last4="4242",
                        failure_reason="insufficient_funds", failure_code="card_declined") == failed
    assert history_line(labels, succeeded=True, date=on, brand="visa", last4="4242") == paid


def test_history_lines_never_show_ids_or_unknown_codes():
    from duely_portal.domain.payment_history import history_line
    from duely_presentation.i18n import Formatter
    labels = Formatter("en", "usd").labels
    # a lost card says only "declined"; an old row without a safe reason falls back on a known code
    assert history_line(labels, succeeded=False, date="Nov 29, 2026", brand="amex", last4="0005",
                        failure_reason="card_declined") == "American Express ending 0005 — declined on Nov 29, 2026"
    assert history_line(labels, succeeded=False, date="Nov 29, 2026", brand=None, last4=None,
                        failure_code="expired_card") == "Card — declined on Nov 29, 2026: the card has expired"
    assert history_line(labels, succeeded=False, date="Nov 29, 2026", brand=None, last4=None,
                        failure_code="do_not_honor") == "Card — declined on Nov 29, 2026"
    assert history_line(labels, succeeded=True, date="Nov 29, 2026", brand="mastercard",
                        last4=None) == "Paid on Nov 29, 2026 with Mastercard card"
