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


# Why a refund is asked for through the API (POST /v1/payments/{id}/refunds), as Stripe names them.
API_REASONS = ("requested_by_customer", "duplicate", "fraudulent", "other")


def refund_idempotency_key(payment_id: str, refund_id: str | None = None) -> str:
    """A refund's gateway key: asking again replays it, never refunds twice.

    The automatic refund of a payment (at most one: the unique key is what keeps it so) is keyed by
    the payment alone, as it always was, so rows written before the refunds API keep their keys. A
    refund asked for through the API has its own key, so a payment may be refunded several times."""
    return f"{payment_id}:refund" if refund_id is None else f"{payment_id}:refund:{refund_id}"


def refundable(amount: int, refunds: list[tuple[int, str]]) -> int:
    """What is left to refund of a payment of `amount`, given its refunds as (amount, status): pending and
    succeeded ones count (a pending one may still go through); failed ones gave nothing back."""
    return amount - sum(refund_amount for refund_amount, status in refunds if status in (PENDING, SUCCEEDED))


def refund_amount_problem(requested: int, left: int, currency: str) -> str | None:
    """Why `requested` cannot be refunded when `left` is what remains, or None when it can."""
    if requested <= 0:
        return "amount must be greater than 0."
    if requested > left:
        return (f"amount {requested} is more than what is left to refund of this payment: {left} "
                f"({currency.upper()} minor units).")
    return None


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
