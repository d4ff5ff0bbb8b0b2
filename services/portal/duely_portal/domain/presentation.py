"""The hosted page's own vocabulary: payable statuses, the sandbox's card choices, payment failures.

The invoice itself is written by `duely_presentation` (the same view as the PDF and the emails);
money in the payment history is formatted by babel through `format_money`.
"""

from __future__ import annotations

from duely_contracts.currency import format_amount

PAYABLE_STATUSES = frozenset({"issued", "past_due"})

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


def is_payable(status: str, amount_due: int) -> bool:
    return status in PAYABLE_STATUSES and amount_due > 0


def is_known_payment_method(payment_method: str) -> bool:
    return any(value == payment_method for value, _ in PAYMENT_METHOD_CHOICES)


def failure_message(code: str | None) -> str:
    if not code:
        return "Your payment did not go through."
    return FAILURE_MESSAGES.get(code, f"Your payment did not go through ({code.replace('_', ' ')}).")
