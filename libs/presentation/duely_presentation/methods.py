"""Payment methods and payments in their owner's words: "Visa •••• 4242", "SEPA Direct Debit •••• 3000",
"Bank transfer, ref 2026-117". Never a gateway id (`pm_…`) nor a full number. Pure."""

from __future__ import annotations

from typing import Mapping

from duely_contracts.models import PaymentMethodRef

from duely_presentation.cards import brand_name

DEBIT_TYPES = ("us_bank_account", "ach_debit", "sepa_debit")
ONLINE_METHODS = ("card", "ach_debit", "us_bank_account", "sepa_debit")  # paid through the gateway
MANUAL_METHODS = ("wire_transfer", "check", "cash", "other")


def method_type_name(labels: Mapping[str, str], method_type: str | None) -> str:
    """'sepa_debit' → 'SEPA Direct Debit'; an unknown type reads as words."""
    code = method_type or "card"
    return labels.get(f"method_{code}") or code.replace("_", " ").capitalize()


def describe(labels: Mapping[str, str], method_type: str | None, *, brand: str | None = None,
             last4: str | None = None, reference: str | None = None) -> str:
    """One payment method or payment: 'Visa •••• 4242', 'Visa card', 'SEPA Direct Debit •••• 3000',
    'Bank transfer, ref INV-7', 'Check'."""
    code = method_type or "card"
    last4 = (str(last4)[-4:] if last4 else None)
    if code == "card":
        name = brand_name(brand) if brand else labels["method_card"]
        text = labels["method_masked"].format(name=name, last4=last4) if last4 else (
            labels.get("email_card_of", "{brand}").format(brand=name) if brand else name)
    else:
        name = method_type_name(labels, code)
        text = labels["method_masked"].format(name=name, last4=last4) if last4 and code in DEBIT_TYPES else name
    if reference and code in MANUAL_METHODS:
        text = labels["method_with_reference"].format(method=text, reference=reference)
    return text


def describe_ref(labels: Mapping[str, str], ref: PaymentMethodRef) -> str:
    return describe(labels, ref.type, brand=ref.brand, last4=ref.last4)
