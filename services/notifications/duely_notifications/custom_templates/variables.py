"""Which templates a merchant can customize, which variables each can use, and their values. Pure: no I/O.

Every variable is a string or an integer already formatted for the customer's locale by the Formatter the
built-in emails use (duely_presentation.i18n), so an amount in a custom email is the PDF's amount.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Mapping

from babel import Locale, UnknownLocaleError

from duely_presentation.cards import brand_name
from duely_presentation.content import DocumentInput
from duely_presentation.i18n import Formatter
from duely_presentation.view import InvoiceView

from duely_notifications.domain.payment_words import failure_sentence

REMINDER_NAMES = ("invoice_reminder", "invoice_reminder_gentle", "invoice_reminder_firm", "invoice_reminder_final")
TEMPLATE_NAMES = ("invoice_issued", *REMINDER_NAMES, "payment_receipt", "payment_failed", "payment_method_expiring")
DEFAULT_LOCALE = "default"  # a template for every locale the organization has no own version for

INVOICE_VARIABLES: dict[str, str] = {
    "customer_name": "The customer's name.",
    "customer_email": "The customer's email address.",
    "company_name": "Your company's name, as the invoice shows it.",
    "invoice_number": "The invoice number.",
    "amount_due": "What remains to pay, formatted (\"$1,623.75\").",
    "amount_paid": "What has been paid, formatted.",
    "total": "The invoice total, formatted.",
    "currency": "The ISO 4217 currency code (\"USD\").",
    "due_date": "The due date, formatted in the customer's language (empty without one).",
    "days_overdue": "Whole days past the due date (0 before it).",
    "invoice_url": "The hosted invoice page.",
    "pay_now_url": "The hosted invoice page's payment section.",
    "memo": "The invoice memo (empty without one).",
}
EXPIRING_VARIABLES: dict[str, str] = {
    "customer_name": INVOICE_VARIABLES["customer_name"],
    "customer_email": INVOICE_VARIABLES["customer_email"],
    "company_name": "Your company's name.",
    "card_brand": "The card's brand (\"Visa\").",
    "card_last4": "The card's last 4 digits.",
    "card_expiry": "The card's expiry, MM/YY.",
    "update_url": "Where the customer updates the payment method (empty when there is none).",
}


def variables_of(name: str) -> dict[str, str]:
    """The variables template `name` may use, with what each holds."""
    if name == "payment_method_expiring":
        return EXPIRING_VARIABLES
    if name == "payment_failed":
        return {**INVOICE_VARIABLES, "failure_reason": "Why the payment failed, in the customer's words."}
    return INVOICE_VARIABLES


def normalized_locale(value: str | None) -> str | None:
    """'de_DE' / 'de-DE' → 'de_DE'; 'default' or nothing → 'default'; None when Babel knows no such locale."""
    if value is None or not value.strip() or value.strip().lower() == DEFAULT_LOCALE:
        return DEFAULT_LOCALE
    try:
        return str(Locale.parse(value.strip().replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def lookup_order(names: tuple[str, ...], locale: str | None) -> list[tuple[str, str]]:
    """(name, locale) pairs in the order a custom template is chosen: each name in turn, its exact locale
    first (de_AT), then its language alone when one was saved so (de), then its 'default' one."""
    exact = normalized_locale(locale) if locale else None
    locales = [exact, exact.split("_")[0]] if exact and exact != DEFAULT_LOCALE else []
    order: list[tuple[str, str]] = []
    for name in names:
        order.extend((name, each) for each in dict.fromkeys([*locales, DEFAULT_LOCALE]))
    return order


def names_for_email(template: str, facts: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The template names an email of kind `template` looks for, most specific first: a reminder in tone
    firm (or asked for as `invoice_reminder_firm`) tries invoice_reminder_firm, then invoice_reminder."""
    if template != "invoice_reminder":
        return (template,) if template in TEMPLATE_NAMES else ()
    facts = facts or {}
    asked = str(facts.get("template") or "")
    specific = asked if asked in REMINDER_NAMES else f"invoice_reminder_{facts.get('tone') or 'gentle'}"
    if specific not in REMINDER_NAMES or specific == "invoice_reminder":
        return ("invoice_reminder",)
    return (specific, "invoice_reminder")


def invoice_variables(doc: DocumentInput, view: InvoiceView, today: date,
                      facts: Mapping[str, Any] | None = None, recipients: list[str] | None = None) -> dict[str, Any]:
    """The variables of an email about an invoice, from the snapshot the composer renders (and, for a receipt,
    the balance right after its payment; for a failed payment, its reason; for a reminder, the day dunning
    fired it, as the built-in reminder counts its days overdue)."""
    facts = facts or {}
    if facts.get("days_from_due") is not None and doc.due_date:  # a reminder: the day dunning fired it on
        today = doc.due_date + timedelta(days=int(facts["days_from_due"]))
    f = Formatter(view.locale, doc.currency)
    amount_due = int(facts.get("amount_due", doc.amount_due))
    amount_paid = int(facts.get("amount_paid", doc.amount_paid))
    invoice_url = doc.pay_url or ""
    values: dict[str, Any] = {
        "customer_name": doc.buyer.name, "customer_email": doc.buyer.email or (recipients or [""])[0],
        "company_name": view.seller.name, "invoice_number": doc.number or "",
        "amount_due": f.money(amount_due), "amount_paid": f.money(amount_paid), "total": f.money(doc.total),
        "currency": doc.currency.upper(), "due_date": f.date(doc.due_date),
        "days_overdue": max((today - doc.due_date).days, 0) if doc.due_date else 0,
        "invoice_url": invoice_url, "pay_now_url": f"{invoice_url}#pay" if invoice_url and amount_due else invoice_url,
        "memo": doc.memo or "",
    }
    if "failure_code" in facts or "failure_reason" in facts:
        values["failure_reason"] = failure_sentence(f.labels, facts.get("failure_reason") or facts.get("failure_code"))
    return values


def expiring_variables(facts: Mapping[str, Any], company: str, recipients: list[str] | None = None) -> dict[str, Any]:
    return {"customer_name": str(facts.get("customer_name") or ""), "customer_email": (recipients or [""])[0],
            "company_name": company, "card_brand": brand_name(str(facts.get("brand") or "card")),
            "card_last4": str(facts.get("last4") or ""),
            "card_expiry": f"{int(facts.get('exp_month') or 0):02d}/{int(facts.get('exp_year') or 0) % 100:02d}",
            "update_url": str(facts.get("update_url") or "")}
