"""What may be charged, with which gateway request, and what the gateway's answer means."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

PAYABLE_STATUSES = frozenset({"issued", "past_due"})

PROCESSING = "processing"
SUCCEEDED = "succeeded"
FAILED = "failed"
# The gateway refused the request itself (an unknown or malformed payment method): no money could
# move and the card was never asked, so it is the caller's error, not a payment failure. The row is
# kept (terminal, never listed, no event) so its attempt number and gateway key are never reused.
INVALID = "invalid"

# Stripe's failure code or decline code → the reason a customer may read. Lost, stolen, fraudulent and
# the like say only "declined" on purpose: the customer's bank, not the merchant's page, tells them more.
SAFE_FAILURE_REASONS = {
    "insufficient_funds": "insufficient_funds", "card_velocity_exceeded": "insufficient_funds",
    "withdrawal_count_limit_exceeded": "insufficient_funds",
    "expired_card": "expired_card",
    "incorrect_cvc": "incorrect_cvc", "invalid_cvc": "incorrect_cvc",
    "incorrect_number": "incorrect_number", "invalid_number": "incorrect_number",
    "processing_error": "processing_error", "try_again_later": "processing_error",
    "authentication_required": "authentication_required",
}
CARD_DECLINED = "card_declined"
# Bank debits: the gateway accepts them `processing` and tells the outcome days later.
DEBIT_METHOD_TYPES = ("us_bank_account", "sepa_debit")
# Codes after which trying the same method again cannot help.
HARD_DECLINE_CODES = frozenset({"account_closed", "lost_card", "stolen_card", "pickup_card", "bank_account_restricted",
                                "no_account", "debit_not_authorized", "bank_account_unusable"})


def is_hard_decline(code: str | None, decline_code: str | None = None) -> bool:
    return any(c and c.lower() in HARD_DECLINE_CODES for c in (code, decline_code))


def attempt_idempotency_key(invoice_id: str, attempt_number: int) -> str:
    """The gateway key of one attempt: a repeat of the same attempt replays, never re-charges."""
    return f"{invoice_id}:attempt:{attempt_number}"


def not_payable_reason(status: str, amount_due: int, *, already_paid: bool) -> str | None:
    """Why an invoice cannot be charged now, or None when it can."""
    if already_paid:
        return "This invoice has already been paid."
    if status not in PAYABLE_STATUSES:
        return f"This invoice is {status}; only issued or past-due invoices can be paid."
    if amount_due <= 0:
        return "This invoice has nothing left to pay."
    return None


@dataclass(frozen=True)
class AttemptFacts:
    """The fields of an attempt that make up its gateway request."""

    id: str
    organization_id: str
    invoice_id: str
    attempt_number: int
    amount: int
    currency: str
    payment_method: str
    # A saved method (AutoPay): its gateway customer, its type and, for bank debits, the mandate.
    method_type: str = "card"
    gateway_customer: str | None = None
    gateway_mandate: str | None = None
    # A one-off bank debit (the hosted page): the customer's acceptance, sent as the PaymentIntent's mandate_data.
    mandate_data: dict[str, Any] | None = None

    @property
    def settles_later(self) -> bool:
        return self.method_type in DEBIT_METHOD_TYPES


def payment_intent_params(attempt: AttemptFacts) -> dict[str, Any]:
    """The PaymentIntent create request for an attempt.

    Built only from the stored attempt so a recovery repeats it byte for byte:
    Stripe refuses an idempotency key reused with different parameters.
    """
    params: dict[str, Any] = {
        "amount": attempt.amount,
        "currency": attempt.currency,
        "payment_method": attempt.payment_method,
        "confirm": True,
        "off_session": True,
        "payment_method_types": [attempt.method_type],
        "metadata": {
            "duely_invoice_id": attempt.invoice_id,
            "duely_organization_id": attempt.organization_id,
            "duely_attempt_id": attempt.id,
            "duely_attempt_number": str(attempt.attempt_number),
        },
    }
    if attempt.gateway_customer:  # a saved method is charged as its customer's
        params["customer"] = attempt.gateway_customer
    if attempt.gateway_mandate:
        params["mandate"] = attempt.gateway_mandate
    elif attempt.mandate_data:
        params["mandate_data"] = attempt.mandate_data
    return params


# The invoice settings' names of the bank debits ⇔ the gateway's PaymentMethod types, and the one currency
# each debits in (SEPA in euros, ACH in US dollars).
DEBIT_SETTING_OF_TYPE = {"sepa_debit": "sepa_debit", "us_bank_account": "ach_debit"}
DEBIT_CURRENCY = {"sepa_debit": "eur", "us_bank_account": "usd"}


def one_off_debit_refusal(method_type: str, currency: str, accepted: list[str] | tuple[str, ...]) -> tuple[str, str] | None:
    """Why a bank debit of `method_type` cannot pay an invoice in `currency` accepting `accepted`:
    (code, message), or None when it can."""
    setting = DEBIT_SETTING_OF_TYPE[method_type]
    name = "SEPA Direct Debit" if method_type == "sepa_debit" else "ACH Direct Debit"
    if setting not in accepted:
        return ("payment_method_not_accepted",
                f"This invoice does not accept {name}; it accepts: {', '.join(accepted) or 'nothing online'}.")
    wanted = DEBIT_CURRENCY[method_type]
    if currency.lower() != wanted:
        return ("payment_method_currency_mismatch",
                f"{name} can only pay invoices in {wanted.upper()}; this invoice is in {currency.upper()}.")
    return None


@dataclass(frozen=True)
class CardDetails:
    """The card as its owner knows it: brand (Stripe's code, e.g. visa) and last four digits."""

    brand: str | None
    last4: str | None


def safe_failure_reason(code: str | None, decline_code: str | None = None) -> str:
    """The customer-safe reason of a decline: the decline code says more than the code when present."""
    for candidate in (decline_code, code):
        if candidate and candidate.lower() in SAFE_FAILURE_REASONS:
            return SAFE_FAILURE_REASONS[candidate.lower()]
    return CARD_DECLINED


def card_details(payment_method: Any) -> CardDetails | None:
    """Brand and last4 from a PaymentMethod, a charge's payment_method_details, or a bare `card` hash."""
    card = gateway_field(payment_method, "card")
    if card is None and gateway_field(payment_method, "last4") is not None:
        card = payment_method
    brand, last4 = gateway_field(card, "brand"), gateway_field(card, "last4")
    if not (brand or last4):
        return None
    return CardDetails(str(brand).lower() if brand else None, str(last4)[-4:] if last4 else None)


def card_of_intent(intent: Any) -> CardDetails | None:
    """The card a PaymentIntent charged or tried, when the answer carries it (Stripe's expanded charge or
    last_payment_error.payment_method); None when only ids came back."""
    charge = gateway_field(intent, "latest_charge")
    error = gateway_field(intent, "last_payment_error")
    for source in (gateway_field(charge, "payment_method_details"), gateway_field(error, "payment_method"),
                   gateway_field(intent, "payment_method")):
        if source is not None and not isinstance(source, str):
            found = card_details(source)
            if found:
                return found
    return None


@dataclass(frozen=True)
class ChargeResult:
    """The gateway's final word on an attempt."""

    status: Literal["succeeded", "failed", "invalid", "processing"]  # processing: a bank debit, settling
    gateway_reference: str | None = None  # PaymentIntent id
    gateway_charge: str | None = None  # Charge id
    failure_code: str | None = None
    failure_message: str | None = None  # for the merchant's logs and API, never shown to the customer
    failure_reason: str | None = None  # what the customer may read: a SAFE_FAILURE_REASONS value or card_declined
    card: CardDetails | None = None
    param: str | None = None  # invalid only: the request field the gateway refused
    hard_decline: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCEEDED


def invalid_request_result(code: str | None, param: str | None, payment_method: str) -> ChargeResult:
    """The gateway refused the request itself. It is payment_method_invalid when the refusal is about
    the payment method (Stripe: resource_missing or param payment_method; the sandbox: a bare 400 with
    neither code nor param for a malformed id); any other refusal (amount_too_small, an account-side
    code such as livemode_mismatch) is payment_request_invalid: telling the payer to pick another
    card would not help."""
    if param == "payment_method" or code == "resource_missing" or (code is None and param is None):
        return ChargeResult(INVALID, failure_code="payment_method_invalid", param="payment_method",
                            failure_message=f"The payment gateway has no usable payment method "
                                            f"'{payment_method}'. Nothing was charged; check the id "
                                            f"(e.g. 'pm_card_visa') and pay again.")
    return ChargeResult(INVALID, failure_code="payment_request_invalid", param=param,
                        failure_message=f"The payment gateway refused this payment request ({code or 'invalid'}"
                                        f"{f' on {param}' if param else ''}). Nothing was charged.")


class ChargePending(Exception):
    """The gateway gave no final answer (unreachable, 5xx, still processing): ask again later."""


def object_id(value: Any) -> str | None:
    """Stripe returns an id; localstripe (and an expanded field) an object: accept both."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return value.get("id")
    return getattr(value, "id", None)


def result_from_payment_intent(intent: Any, *, settles_later: bool = False) -> ChargeResult:
    """Interpret a PaymentIntent returned by a create-and-confirm call (or read again, or sent in an event).
    A bank debit (`settles_later`) that is `processing` has been accepted: a PROCESSING result."""
    status = gateway_field(intent, "status")
    reference = gateway_field(intent, "id")
    if status == "processing" and settles_later:
        return ChargeResult(PROCESSING, reference)
    if status == "succeeded":
        return ChargeResult(SUCCEEDED, reference, object_id(gateway_field(intent, "latest_charge")),
                            card=card_of_intent(intent))
    if status in ("requires_payment_method", "canceled"):
        error = gateway_field(intent, "last_payment_error") or {}
        code = gateway_field(error, "code") or "card_declined"
        decline_code = gateway_field(error, "decline_code")
        return ChargeResult(FAILED, reference, object_id(gateway_field(intent, "latest_charge")), code,
                            gateway_field(error, "message") or "The payment was declined.",
                            safe_failure_reason(code, decline_code),
                            card_of_intent(intent) if not settles_later else None,
                            hard_decline=is_hard_decline(code, decline_code))
    if status in ("requires_action", "requires_confirmation"):
        # Off-session: nobody is there to authenticate, so this attempt has failed.
        return ChargeResult(FAILED, reference, None, "authentication_required",
                            "The card requires authentication, which is not possible for this payment.",
                            "authentication_required", card_of_intent(intent))
    raise ChargePending(f"payment intent {reference} is {status}")


def recovery_delay(checks_so_far: int, base_s: float = 10.0, cap_s: float = 300.0) -> timedelta:
    """How long to wait before asking the gateway again about a stuck attempt."""
    return timedelta(seconds=min(cap_s, base_s * 2 ** max(0, checks_so_far)))


def gateway_field(obj: Any, key: str) -> Any:
    """A field of a gateway object, whether the SDK gave an object, a dict or localstripe an expanded value."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(key)
    try:
        return obj[key]
    except (KeyError, TypeError, IndexError):
        return getattr(obj, key, None)
