"""How invoice facts are written for a person: money, quantities, terms, statuses.

Money arrives as integer minor units plus an ISO 4217 code; it becomes a
Decimal of major units only here, at the edge, and is formatted by babel.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from babel.dates import format_date as babel_format_date
from duely_contracts.currency import format_amount

PAYABLE_STATUSES = frozenset({"issued", "past_due"})
CLOSED_STATUSES = frozenset({"paid", "void", "uncollectible"})

STATUS_LABELS = {
    "draft": "Draft",
    "issued": "Open",
    "past_due": "Past due",
    "paid": "Paid",
    "void": "Void",
    "uncollectible": "Uncollectible",
}

# The embedded sandbox gateway has no card form: the customer picks a test payment method.
PAYMENT_METHOD_CHOICES: tuple[tuple[str, str], ...] = (
    ("pm_card_visa", "Visa •••• 4242"),
    ("pm_card_chargeDeclined", "Card that declines"),
)

FAILURE_MESSAGES = {
    "card_declined": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "payment_method_invalid": "Please choose a payment method.",
    "form_invalid": "The payment form was incomplete. Nothing was charged; please try again.",
    "invoice_not_payable": "This invoice can no longer be paid.",
    "payment_in_progress": "A payment for this invoice is already being processed.",
    "payment_service_unavailable": "We could not reach the payment service. Nothing was charged; please try again.",
}


def format_money(amount: int, currency: str, locale: str = "en_US") -> str:
    """12345, 'usd' → '$123.45'; 5000, 'jpy' → '¥5,000'."""
    return format_amount(amount, currency, locale)


def format_quantity(quantity: str) -> str:
    """Decimal strings without noise: '2.000' → '2', '1.50' → '1.5'."""
    try:
        value = Decimal(quantity)
    except InvalidOperation:
        return quantity
    if value == value.to_integral_value():
        return f"{value.quantize(Decimal(1)):f}"
    return f"{value.normalize():f}"


def format_percentage(percentage: str) -> str:
    """'8.25' → '8.25%', '20.00' → '20%'."""
    return format_quantity(percentage) + "%"


def format_date(value: date | None, locale: str = "en_US") -> str:
    return babel_format_date(value, format="long", locale=locale) if value else "—"


def describe_terms(payment_terms: str) -> str:
    """'net_30' → 'Net 30', 'due_on_receipt' → 'Due on receipt', anything else → readable words."""
    terms = (payment_terms or "").strip().lower()
    if terms.startswith("net_") and terms[4:].isdigit():
        return f"Net {int(terms[4:])}"
    if terms in ("due_on_receipt", "on_receipt"):
        return "Due on receipt"
    return terms.replace("_", " ").capitalize() or "—"


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


def is_payable(status: str, amount_due: int) -> bool:
    return status in PAYABLE_STATUSES and amount_due > 0


def is_known_payment_method(payment_method: str) -> bool:
    return any(value == payment_method for value, _ in PAYMENT_METHOD_CHOICES)


def failure_message(code: str | None) -> str:
    if not code:
        return "Your payment did not go through."
    return FAILURE_MESSAGES.get(code, f"Your payment did not go through ({code.replace('_', ' ')}).")
