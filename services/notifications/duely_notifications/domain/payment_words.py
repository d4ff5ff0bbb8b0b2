"""Payments in the customer's words: how they paid, and why a payment failed. Never the gateway's own
text or ids (a `pm_…` id or "The gateway refused the payment method: Not Found." means nothing to a
customer, and may say more than the merchant wants)."""

from __future__ import annotations

from typing import Any, Mapping

from duely_presentation.cards import CARD_BRANDS, brand_name

METHOD_KINDS = ("card", "ach_debit", "us_bank_account", "sepa_debit", "wire_transfer", "check")
# Stripe's failure and decline codes → our sentence for them; anything else reads "did not go through".
FAILURES = {
    "card_declined": "failure_card_declined", "generic_decline": "failure_card_declined",
    "do_not_honor": "failure_card_declined", "insufficient_funds": "failure_insufficient_funds",
    "expired_card": "failure_expired_card", "incorrect_cvc": "failure_incorrect_cvc",
    "invalid_cvc": "failure_incorrect_cvc", "incorrect_number": "failure_incorrect_number",
    "invalid_number": "failure_incorrect_number", "processing_error": "failure_processing_error",
    "authentication_required": "failure_authentication_required",
}


def method_details(data: Mapping[str, Any]) -> dict[str, str] | None:
    """Brand and last four digits when a payment event carries them (optional fields payments may add:
    `payment_method_details` or `card`, each with `brand` and `last4`); None otherwise."""
    for key in ("payment_method_details", "card"):
        found = data.get(key)
        if isinstance(found, Mapping):
            card = found.get("card") if isinstance(found.get("card"), Mapping) else found
            brand, last4 = card.get("brand"), card.get("last4")
            if brand or last4:
                return {"brand": str(brand or ""), "last4": str(last4 or "")[-4:]}
    return None


def describe_method(labels: Mapping[str, str], payment_method: str | None,
                    details: Mapping[str, str] | None = None) -> str | None:
    """'Visa ending in 4242', 'Visa card', 'SEPA Direct Debit', 'Saved payment method'; None when unknown."""
    if details and details.get("last4"):
        return labels["email_card_ending"].format(brand=brand_name(details.get("brand") or "card"),
                                                  last4=details["last4"])
    if not payment_method:
        return None
    if payment_method.startswith("pm_card_"):  # the sandbox's test ids name the brand
        brand = CARD_BRANDS.get(payment_method[len("pm_card_"):].lower())
        return labels["email_card_of"].format(brand=brand) if brand else labels["method_card"]
    if payment_method in METHOD_KINDS:
        return labels.get(f"method_{payment_method}") or labels["email_saved_method"]
    return labels["email_saved_method"]


def failure_sentence(labels: Mapping[str, str], failure_code: str | None) -> str:
    return labels[FAILURES.get((failure_code or "").lower(), "failure_generic")]
