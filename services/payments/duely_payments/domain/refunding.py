"""Refunds: their gateway key, their request, and what the gateway's answer means."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from duely_payments.domain.charging import gateway_field

PENDING = "pending"
SUCCEEDED = "succeeded"
FAILED = "failed"

# Why a payment is refunded automatically: invoicing's reason for not counting it.
AUTOMATIC_REASONS = frozenset({"invoice_void", "invoice_uncollectible", "invoice_already_paid"})


def refund_idempotency_key(payment_id: str) -> str:
    """The gateway key of a payment's automatic refund: asking again replays it, never refunds twice."""
    return f"{payment_id}:refund"


@dataclass(frozen=True)
class RefundFacts:
    """The fields of a refund that make up its gateway request."""

    id: str
    organization_id: str
    invoice_id: str
    payment_id: str
    amount: int
    currency: str
    payment_intent: str | None  # the payment's PaymentIntent at the gateway
    idempotency_key: str
    gateway_reference: str | None = None  # the gateway's refund id, once it has one


def refund_params(refund: RefundFacts) -> dict[str, Any]:
    """The Refund create request: built only from the stored refund, so a retry repeats it byte for byte."""
    return {
        "payment_intent": refund.payment_intent,
        "amount": refund.amount,
        "metadata": {
            "duely_refund_id": refund.id,
            "duely_payment_id": refund.payment_id,
            "duely_invoice_id": refund.invoice_id,
            "duely_organization_id": refund.organization_id,
        },
    }


@dataclass(frozen=True)
class RefundResult:
    """The gateway's final word on a refund."""

    status: str  # succeeded | failed
    gateway_reference: str | None = None
    failure_message: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCEEDED


class RefundPending(Exception):
    """No final answer yet (unreachable, 5xx, or the refund itself is pending): ask again later."""

    def __init__(self, message: str, gateway_reference: str | None = None) -> None:
        super().__init__(message)
        self.gateway_reference = gateway_reference


def result_from_refund(refund: Any) -> RefundResult:
    status, reference = gateway_field(refund, "status"), gateway_field(refund, "id")
    if status == SUCCEEDED:
        return RefundResult(SUCCEEDED, reference)
    if status in ("failed", "canceled"):
        return RefundResult(FAILED, reference, f"The gateway's refund is {status}: "
                                               f"{gateway_field(refund, 'failure_reason') or 'no reason given'}.")
    raise RefundPending(f"refund {reference} is {status}", reference)
