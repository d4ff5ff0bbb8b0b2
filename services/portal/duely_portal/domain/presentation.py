"""The hosted page's own vocabulary: payable statuses and the sandbox's card choices.

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

# The card update page saves a card (a SetupIntent) rather than charging one: its "card that declines" is
# one the gateway refuses to set up (Stripe's 4000000000000002); pm_card_chargeDeclined above is set up fine
# and fails only when charged.
SAVE_CARD_CHOICES: tuple[tuple[str, str], ...] = (
    ("pm_card_visa", "Visa •••• 4242"),
    ("pm_card_mastercard", "Mastercard •••• 4444"),
    ("pm_card_visa_chargeDeclined", "Card that declines"),
)


def is_known_card_to_save(payment_method: str) -> bool:
    return any(value == payment_method for value, _ in SAVE_CARD_CHOICES)


def format_money(amount: int, currency: str, locale: str = "en_US") -> str:
    """12345, 'usd' → '$123.45'; 5000, 'jpy' → '¥5,000'."""
    return format_amount(amount, currency, locale)


def is_payable(status: str, amount_due: int) -> bool:
    return status in PAYABLE_STATUSES and amount_due > 0


def is_known_payment_method(payment_method: str) -> bool:
    return any(value == payment_method for value, _ in PAYMENT_METHOD_CHOICES)
