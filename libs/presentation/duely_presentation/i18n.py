"""Labels and formats for invoice documents, per locale (Babel for numbers, money and dates).

The catalogue is a plain dict per language: three languages and a few dozen
labels don't justify gettext machinery. A locale we have no labels for falls
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

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "invoice": "Invoice", "draft": "Draft", "draft_notice": "Draft: not a valid invoice until issued",
        "number": "Invoice number", "issue_date": "Issue date", "due_date": "Due date",
        "payment_terms": "Payment terms", "from": "From", "bill_to": "Bill to", "tax_id": "Tax ID",
        "description": "Description", "quantity": "Qty", "unit_price": "Unit price", "tax": "Tax",
        "amount": "Amount", "period": "Period", "discount": "Discount", "subtotal": "Subtotal",
        "total_discount": "Discounts", "total": "Total", "amount_paid": "Amount paid", "amount_due": "Amount due",
        "tax_breakdown": "Tax breakdown", "rate": "Rate", "taxable_amount": "Taxable amount",
        "tax_amount": "Tax amount", "included": "incl.", "notes": "Notes", "how_to_pay": "How to pay",
        "pay_online": "Pay online", "bank_transfer": "Bank transfer", "account_holder": "Account holder",
        "bank_name": "Bank", "iban": "IBAN", "bic": "BIC", "account_number": "Account number",
        "routing_number": "Routing number", "sort_code": "Sort code", "reference": "Reference",
        "due_on_receipt": "Due on receipt", "net_days": "Net {days} days", "page": "Page",
        "of": "of", "paid": "Paid", "void": "Void", "uncollectible": "Uncollectible", "past_due": "Past due",
    },
    "de": {
        "invoice": "Rechnung", "draft": "Entwurf", "draft_notice": "Entwurf: erst nach Ausstellung gültig",
        "number": "Rechnungsnummer", "issue_date": "Rechnungsdatum", "due_date": "Fällig am",
        "payment_terms": "Zahlungsbedingungen", "from": "Von", "bill_to": "Rechnungsempfänger",
        "tax_id": "USt-IdNr.", "description": "Beschreibung", "quantity": "Menge", "unit_price": "Einzelpreis",
        "tax": "Steuer", "amount": "Betrag", "period": "Zeitraum", "discount": "Rabatt",
        "subtotal": "Zwischensumme", "total_discount": "Rabatte", "total": "Gesamtbetrag",
        "amount_paid": "Bereits bezahlt", "amount_due": "Zu zahlen", "tax_breakdown": "Steueraufstellung",
        "rate": "Satz", "taxable_amount": "Bemessungsgrundlage", "tax_amount": "Steuerbetrag",
        "included": "inkl.", "notes": "Hinweise", "how_to_pay": "Zahlung", "pay_online": "Online bezahlen",
        "bank_transfer": "Überweisung", "account_holder": "Kontoinhaber", "bank_name": "Bank", "iban": "IBAN",
        "bic": "BIC", "account_number": "Kontonummer", "routing_number": "Bankleitzahl",
        "sort_code": "Sort Code", "reference": "Verwendungszweck", "due_on_receipt": "Sofort fällig",
        "net_days": "Zahlbar innerhalb von {days} Tagen", "page": "Seite", "of": "von", "paid": "Bezahlt",
        "void": "Storniert", "uncollectible": "Uneinbringlich", "past_due": "Überfällig",
    },
    "fr": {
        "invoice": "Facture", "draft": "Brouillon", "draft_notice": "Brouillon : sans valeur avant émission",
        "number": "Numéro de facture", "issue_date": "Date d’émission", "due_date": "Date d’échéance",
        "payment_terms": "Conditions de paiement", "from": "Émetteur", "bill_to": "Facturé à",
        "tax_id": "N° TVA", "description": "Désignation", "quantity": "Qté", "unit_price": "Prix unitaire",
        "tax": "Taxe", "amount": "Montant", "period": "Période", "discount": "Remise",
        "subtotal": "Sous-total", "total_discount": "Remises", "total": "Total", "amount_paid": "Déjà payé",
        "amount_due": "Montant dû", "tax_breakdown": "Détail des taxes", "rate": "Taux",
        "taxable_amount": "Base imposable", "tax_amount": "Montant de la taxe", "included": "incl.",
        "notes": "Notes", "how_to_pay": "Règlement", "pay_online": "Payer en ligne",
        "bank_transfer": "Virement bancaire", "account_holder": "Titulaire du compte", "bank_name": "Banque",
        "iban": "IBAN", "bic": "BIC", "account_number": "Numéro de compte", "routing_number": "Code banque",
        "sort_code": "Sort code", "reference": "Référence", "due_on_receipt": "Payable à réception",
        "net_days": "Paiement à {days} jours", "page": "Page", "of": "sur", "paid": "Payée",
        "void": "Annulée", "uncollectible": "Irrécouvrable", "past_due": "En retard",
    },
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
        self.labels = LABELS[self.language]
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
