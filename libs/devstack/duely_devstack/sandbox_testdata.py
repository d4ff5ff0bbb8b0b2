"""Stripe's test payment methods, as Stripe's test mode documents them, and how each one behaves."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class CardBehaviour:
    attach_fails: bool = False      # declined when attached / set up (Stripe verifies the card)
    decline_code: str | None = None  # declined when charged, with this decline code
    error_code: str = "card_declined"


# Card number → behaviour (numbers not listed succeed). From Stripe's "Testing" page.
CARD_BEHAVIOUR = {
    "4000000000000341": CardBehaviour(decline_code="generic_decline"),              # attaches, charges fail
    "4000000000000002": CardBehaviour(attach_fails=True, decline_code="generic_decline"),
    "4000000000009995": CardBehaviour(decline_code="insufficient_funds"),
    "4000000000009987": CardBehaviour(attach_fails=True, decline_code="lost_card"),
    "4000000000009979": CardBehaviour(attach_fails=True, decline_code="stolen_card"),
    "4000000000000069": CardBehaviour(attach_fails=True, decline_code="expired_card", error_code="expired_card"),
    "4000000000000127": CardBehaviour(attach_fails=True, decline_code="incorrect_cvc", error_code="incorrect_cvc"),
    "4000000000000119": CardBehaviour(attach_fails=True, decline_code="processing_error",
                                      error_code="processing_error"),
}

DECLINE_MESSAGES = {
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
}

# Stripe's test PaymentMethod ids → card number. pm_card_chargeDeclined keeps the number the
# sandbox always gave it (attaches, declined when charged), which the payments tests rely on.
TEST_CARD_IDS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_mastercard_debit": "5200828282828210",
    "pm_card_amex": "378282246310005",
    "pm_card_discover": "6011111111111117",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_chargeDeclined": "4000000000000341",
    "pm_card_visa_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_visa_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_visa_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
}
DEBIT_CARDS = {"4000056655665556", "5200828282828210"}

# ACH (us_bank_account): Stripe's test routing number and account numbers → failure code (None: succeeds).
TEST_ROUTING_NUMBER = "110000000"
ACH_OUTCOMES = {
    "000123456789": None,
    "000222222227": "insufficient_funds",
    "000111111113": "account_closed",
    "000111111116": "no_account",
    "000333333335": "debit_not_authorized",
}
# Stripe's test PaymentMethod ids for ACH (us_bank_account) → account number.
TEST_ACH_IDS = {
    "pm_usBankAccount_success": "000123456789",
    "pm_usBankAccount_insufficientFunds": "000222222227",
    "pm_usBankAccount_accountClosed": "000111111113",
    "pm_usBankAccount_noAccount": "000111111116",
    "pm_usBankAccount_debitNotAuthorized": "000333333335",
}

# SEPA Direct Debit: Stripe's test IBANs → failure code (None: succeeds; other valid IBANs succeed).
SEPA_OUTCOMES = {
    "DE89370400440532013000": None,
    "AT611904300234573201": None,
    "DE62370400440532013001": "generic_decline",
    "AT861904300235473202": "generic_decline",
}

FAILURE_MESSAGES = {
    "insufficient_funds": "The customer's account has insufficient funds to cover this payment.",
    "account_closed": "The customer's bank account has been closed.",
    "no_account": "The customer's bank account could not be located.",
    "debit_not_authorized": "The customer has notified their bank that this payment was unauthorized.",
    "generic_decline": "The payment was declined by the customer's bank.",
}


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in ("34", "37"):
        return "amex"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number.startswith("6011") or number.startswith("65"):
        return "discover"
    return "unknown"


def luhn_ok(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, digit in enumerate(reversed(number)):
        d = int(digit)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def routing_ok(routing: str) -> bool:
    if len(routing) != 9 or not routing.isdigit():
        return False
    d = [int(c) for c in routing]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 == 0


def iban_ok(iban: str) -> bool:
    if not 15 <= len(iban) <= 34 or not iban[:2].isalpha() or not iban[2:4].isdigit() or not iban.isalnum():
        return False
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def normalize_iban(iban: str) -> str:
    return iban.replace(" ", "").upper()


def iban_bank_code(iban: str) -> str:
    country = iban[:2]
    return {"DE": iban[4:12], "AT": iban[4:9], "FR": iban[4:9], "NL": iban[4:8], "ES": iban[4:8],
            "IT": iban[5:10], "BE": iban[4:7]}.get(country, iban[4:8])


def fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def default_expiry(today: date | None = None) -> tuple[int, int]:
    """Stripe's test ids expire in the current month of next year."""
    today = today or date.today()
    return today.month, today.year + 1
