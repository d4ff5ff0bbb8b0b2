"""Labels and formats for invoice documents, per locale (Babel for numbers, money and dates).

The catalogues are plain dicts per language and surface (labels/): three languages and a few
dozen labels don't justify gettext machinery. A locale we have no labels for falls
back to English labels but keeps its own number and date formats (Babel knows
them all), e.g. `nl_NL` gets English words and Dutch "€ 1.234,56".
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from duely_contracts.currency import format_amount
from duely_contracts.terms import net_days
from duely_presentation.labels import collection, document, email, page

LABELS: dict[str, dict[str, str]] = {
    language: {**document.LABELS[language], **page.LABELS.get(language, {}), **email.LABELS.get(language, {}),
                **collection.LABELS.get(language, {})}
    for language in document.LABELS
}


def parse_locale(tag: str | None) -> Locale:
    """'de', 'de-DE', 'fr_FR' → a Babel Locale; anything unknown → English."""
    try:
        return Locale.parse((tag or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("en")


class Formatter:
    """Labels and formats for one locale and one currency."""

    def __init__(self, locale_tag: str | None, currency: str) -> None:
        self.locale = parse_locale(locale_tag)
        self.language = self.locale.language if self.locale.language in LABELS else "en"
        self.labels = {**LABELS["en"], **LABELS[self.language]}  # a label not yet translated reads in English
        self.currency = currency.upper()

    def label(self, key: str) -> str:
        return self.labels.get(key) or LABELS["en"][key]

    def money(self, amount: int) -> str:
        """Minor units → '€1,234.56' / '1.234,56 €' / '1 234,56 €' (the currency's own precision)."""
        return format_amount(amount, self.currency, self.locale)

    def date(self, value: date | None) -> str:
        return format_date(value, format="long", locale=self.locale) if value else ""

    def quantity(self, value: Decimal) -> str:
        return format_decimal(value, locale=self.locale, decimal_quantization=False)

    def percent(self, value: Decimal) -> str:
        """Decimal('8.25') → '8.25%' / '8,25 %' (exact: no rounding to the pattern's digits)."""
        return format_percent(value / 100, locale=self.locale, decimal_quantization=False)

    def terms(self, payment_terms: str) -> str:
        days = net_days(payment_terms)
        if days is None:
            return payment_terms
        return self.label("due_on_receipt") if days == 0 else self.label("net_days").format(days=days)

    def country(self, code: str | None) -> str | None:
        return self.locale.territories.get(code, code) if code else None

    @property
    def html_lang(self) -> str:
        return str(self.locale).replace("_", "-")
