"""Cards as their owners know them: the brand's printed name (the gateway sends a code such as `visa`)."""

from __future__ import annotations

CARD_BRANDS = {"visa": "Visa", "visa_debit": "Visa", "mastercard": "Mastercard", "amex": "American Express",
               "discover": "Discover", "diners": "Diners Club", "jcb": "JCB", "unionpay": "UnionPay",
               "cartes_bancaires": "Cartes Bancaires"}


def brand_name(code: str) -> str:
    """'visa' → 'Visa', 'amex' → 'American Express'; an unknown code reads as words ('eftpos_au' → 'Eftpos Au')."""
    return CARD_BRANDS.get(code.lower(), code.replace("_", " ").title())
