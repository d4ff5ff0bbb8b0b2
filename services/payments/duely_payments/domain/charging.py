"""What may be charged, with which gateway request, and what the gateway's answer means."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

PAYABLE_STATUSES = frozenset({"issued", "past_due"})

PROCESSING = "processing"
SUCCEEDED = "succeeded"
FAILED = "failed"


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


def payment_intent_params(attempt: AttemptFacts) -> dict[str, Any]:
    """The PaymentIntent create request for an attempt.

    Built only from the stored attempt so a recovery repeats it byte for byte:
    Stripe refuses an idempotency key reused with different parameters.
    """
    return {
        "amount": attempt.amount,
        "currency": attempt.currency,
        "payment_method": attempt.payment_method,
        "confirm": True,
        "off_session": True,
        "payment_method_types": ["card"],
        "metadata": {
            "duely_invoice_id": attempt.invoice_id,
            "duely_organization_id": attempt.organization_id,
            "duely_attempt_id": attempt.id,
            "duely_attempt_number": str(attempt.attempt_number),
        },
    }


@dataclass(frozen=True)
class ChargeResult:
    """The gateway's final word on an attempt."""

    status: Literal["succeeded", "failed"]
    gateway_reference: str | None = None  # PaymentIntent id
    gateway_charge: str | None = None  # Charge id
    failure_code: str | None = None
    failure_message: str | None = None
    failure_type: str = "card_error"  # card_error | invalid_request_error

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCEEDED


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


def result_from_payment_intent(intent: Any) -> ChargeResult:
    """Interpret a PaymentIntent returned by a create-and-confirm call."""
    status = gateway_field(intent, "status")
    reference = gateway_field(intent, "id")
    if status == "succeeded":
        return ChargeResult(SUCCEEDED, reference, object_id(gateway_field(intent, "latest_charge")))
    if status in ("requires_payment_method", "canceled"):
        error = gateway_field(intent, "last_payment_error") or {}
        return ChargeResult(FAILED, reference, object_id(gateway_field(intent, "latest_charge")),
                            gateway_field(error, "code") or "card_declined",
                            gateway_field(error, "message") or "The payment was declined.")
    if status in ("requires_action", "requires_confirmation"):
        # Off-session: nobody is there to authenticate, so this attempt has failed.
        return ChargeResult(FAILED, reference, None, "authentication_required",
                            "The card requires authentication, which is not possible for this payment.")
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
