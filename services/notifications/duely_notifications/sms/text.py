"""The words of a reminder SMS: one built-in text per tone, in the customer's language (en, de, fr; any
other language reads English with its own number and date formats). Pure.

`sms_text` is the one place a reminder's built-in text is made; an organization's own text (the `sms` part of
its reminder template, custom_templates/) replaces it in the SMS sender.
Kept in the GSM-7 alphabet where the language allows (Babel's no-break spaces become plain spaces),
so a reminder costs one or two SMS parts, not three UCS-2 ones.
"""

from __future__ import annotations

from datetime import date

from duely_contracts.models import InvoiceSnapshot
from duely_presentation.i18n import Formatter

TONES = ("gentle", "firm", "final")

# {company} {number} {amount} {date}; the payment link is appended as " {pay} {url}".
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "gentle_due": "{company}: invoice {number} for {amount} is due {date}.",
        "gentle_overdue": "{company}: invoice {number} for {amount} was due {date} and is still unpaid.",
        "firm": "{company}: invoice {number} for {amount} is overdue since {date}. Please pay it now.",
        "final": "{company}: FINAL NOTICE. Invoice {number} for {amount} was due {date}. Please pay it today.",
        "pay": "Pay:",
    },
    "de": {
        "gentle_due": "{company}: Rechnung {number} über {amount} ist am {date} fällig.",
        "gentle_overdue": "{company}: Rechnung {number} über {amount} war am {date} fällig und ist noch offen.",
        "firm": "{company}: Rechnung {number} über {amount} ist seit {date} überfällig. Bitte zahlen Sie jetzt.",
        "final": "{company}: LETZTE MAHNUNG. Rechnung {number} über {amount} war am {date} fällig. "
                 "Bitte zahlen Sie heute.",
        "pay": "Zahlen:",
    },
    "fr": {
        "gentle_due": "{company} : la facture {number} de {amount} est due le {date}.",
        "gentle_overdue": "{company} : la facture {number} de {amount} était due le {date} et reste impayée.",
        "firm": "{company} : la facture {number} de {amount} est en retard depuis le {date}. Merci de la régler.",
        "final": "{company} : DERNIER AVIS. La facture {number} de {amount} était due le {date}. "
                 "Merci de la régler aujourd'hui.",
        "pay": "Payer :",
    },
}


def _plain_spaces(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def sms_text(tone: str, *, company: str, number: str, amount_due: int, currency: str, due_date: date | None,
             pay_url: str | None, locale: str | None, today: date) -> str:
    if tone not in TONES:
        raise ValueError(f"unknown reminder tone {tone!r}")
    f = Formatter(locale, currency)
    words = TEXTS.get(f.language, TEXTS["en"])
    key = tone if tone != "gentle" else ("gentle_overdue" if due_date and due_date < today else "gentle_due")
    text = words[key].format(company=company, number=number, amount=f.money(amount_due),
                             date=f.date(due_date) if due_date else f.date(today))
    if pay_url:
        text = f"{text} {words['pay']} {pay_url}"
    return _plain_spaces(text)


def reminder_sms(invoice: InvoiceSnapshot, tone: str, today: date, default_locale: str = "en_US") -> str:
    """The reminder SMS of an invoice's newest snapshot: its balance, due date and payment page."""
    company = (invoice.issuer.email_from_name or invoice.issuer.company_name) if invoice.issuer else None
    return sms_text(tone, company=" ".join((company or invoice.organization_name).split()),
                    number=invoice.number or invoice.id, amount_due=invoice.amount_due, currency=invoice.currency,
                    due_date=invoice.due_date, pay_url=invoice.hosted_invoice_url,
                    locale=invoice.locale or invoice.customer.locale or default_locale, today=today)
