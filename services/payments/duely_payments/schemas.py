"""The API's request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from duely_contracts.models import CUSTOMER_FAILURE_REASONS, MANUAL_PAYMENT_METHODS, CardRef
from duely_contracts.timestamps import Timestamp
from duely_payments.models import Payment, PaymentAttempt, Refund
from duely_runtime.amounts import IntegerMinorUnits
from duely_runtime.kit.pagination import ListBody
from duely_runtime.text import CleanText, SingleLineText, document_text_rules

Id = Annotated[CleanText, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=document_text_rules)


class PayRequest(RequestModel):
    # Optional here so a missing or blank value gets one clear error from the use case.
    payment_method: Annotated[CleanText, StringConstraints(max_length=255)] | None = None


class OnlineAcceptance(RequestModel):
    ip_address: Annotated[CleanText, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    user_agent: Annotated[CleanText, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class CustomerAcceptance(RequestModel):
    type: Literal["online"]
    accepted_at: int | None = Field(None, ge=0, description="Unix seconds; default now.")
    online: OnlineAcceptance


class MandateData(RequestModel):
    """The customer's acceptance of a one-off bank debit's mandate, in Stripe's `mandate_data` shape."""

    customer_acceptance: CustomerAcceptance


class InternalPayRequest(PayRequest):
    organization_id: Id
    # The hosted page's bank debit: a PaymentMethod its script created at the gateway, its type, and the
    # mandate the customer accepted on the page. Absent: a card, as always.
    payment_method_type: Literal["card", "sepa_debit", "us_bank_account"] | None = None
    mandate_data: MandateData | None = None


class PayInvoicesRequest(RequestModel):
    invoice_ids: list[Id] = Field(description="The customer's invoices to pay with one charge (1 to 50).")
    payment_method: Annotated[CleanText, StringConstraints(max_length=255)] | None = Field(
        None, description="One of the customer's saved cards, or a card PaymentMethod created now (pm_…); "
                          "none: the customer's default payment method.")
    amount: Annotated[int, Field(strict=True, gt=0, le=10**15), IntegerMinorUnits] | None = Field(
        None, description="Minor units. Less than the total due pays the invoices oldest first (by due date); none: all of it.")


class InternalPayInvoicesRequest(PayInvoicesRequest):
    organization_id: Id


class PaymentAllocationOut(BaseModel):
    invoice_id: str
    amount: int
    attempt_id: str
    status: Literal["processing", "succeeded", "failed"]
    payment_id: str | None


class PaymentGroupOut(BaseModel):
    """One charge paying several invoices: each invoice's share has its own attempt, payment and events."""

    id: str
    object: Literal["payment_group"] = "payment_group"
    customer_id: str
    status: Literal["processing", "succeeded", "failed"]
    amount: int
    currency: str
    payment_method: str
    gateway_reference: str | None
    failure_code: str | None
    failure_reason: str | None = Field(
        None, description=f"Safe to show the customer: {' | '.join(CUSTOMER_FAILURE_REASONS)}.")
    allocations: list[PaymentAllocationOut] = Field(description="Each invoice's share, oldest first.")
    created_at: Timestamp
    completed_at: Timestamp | None

    @classmethod
    def of(cls, group, attempts) -> "PaymentGroupOut":
        return cls(id=group.id, customer_id=group.customer_id, status=group.status, amount=group.amount,
                   currency=group.currency, payment_method=group.payment_method,
                   gateway_reference=group.gateway_reference, failure_code=group.failure_code,
                   failure_reason=group.failure_reason, created_at=group.created_at, completed_at=group.completed_at,
                   allocations=[PaymentAllocationOut(invoice_id=a.invoice_id, amount=a.amount, attempt_id=a.id,
                                                     status=a.status, payment_id=a.payment_id) for a in attempts])


class PaymentAttemptOut(BaseModel):
    id: str
    object: Literal["payment_attempt"] = "payment_attempt"
    invoice_id: str
    attempt_number: int
    status: Literal["processing", "succeeded", "failed"]
    amount: int
    currency: str
    payment_method: str
    payment_id: str | None
    gateway_reference: str | None
    failure_code: str | None
    failure_message: str | None
    failure_reason: str | None = Field(
        None, description=f"Safe to show the customer: {' | '.join(CUSTOMER_FAILURE_REASONS)}.")
    card: CardRef | None = Field(None, description="The card's brand and last four digits, when the gateway said.")
    created_at: Timestamp
    completed_at: Timestamp | None

    @classmethod
    def of(cls, attempt: PaymentAttempt) -> "PaymentAttemptOut":
        return cls(id=attempt.id, invoice_id=attempt.invoice_id, attempt_number=attempt.attempt_number,
                   status=attempt.status, amount=attempt.amount, currency=attempt.currency,
                   payment_method=attempt.payment_method, payment_id=attempt.payment_id,
                   gateway_reference=attempt.gateway_reference, failure_code=attempt.failure_code,
                   failure_message=attempt.failure_message, failure_reason=attempt.failure_reason,
                   card=attempt.card, created_at=attempt.created_at,
                   completed_at=attempt.completed_at)


class RefundOut(BaseModel):
    id: str
    object: Literal["refund"] = "refund"
    payment_id: str
    invoice_id: str
    amount: int
    currency: str
    reason: str = Field(description="requested_by_customer | duplicate | fraudulent | other (asked for through the "
                                    "API), or invoice_void | invoice_uncollectible | invoice_already_paid (automatic: "
                                    "the payment landed on a closed invoice).")
    status: Literal["pending", "succeeded", "failed"]
    manual: bool = Field(description="Recorded only: the payment was made outside the gateway.")
    gateway_reference: str | None = Field(None, description="The gateway's refund id.")
    failure_message: str | None = None
    created_at: Timestamp
    completed_at: Timestamp | None = None

    @classmethod
    def of(cls, refund: Refund) -> "RefundOut":
        return cls(id=refund.id, payment_id=refund.payment_id, invoice_id=refund.invoice_id, amount=refund.amount,
                   currency=refund.currency, reason=refund.reason, status=refund.status, manual=bool(refund.manual),
                   gateway_reference=refund.gateway_reference, failure_message=refund.failure_message,
                   created_at=refund.created_at, completed_at=refund.completed_at)


class PaymentOut(BaseModel):
    id: str
    object: Literal["payment"] = "payment"
    status: Literal["succeeded"] = "succeeded"
    invoice_id: str
    attempt_id: str | None = Field(description="The charge attempt; null for a manual payment.")
    attempt_number: int = Field(description="Its place among the invoice's attempts and manual payments.")
    amount: int
    currency: str
    payment_method: str
    gateway_reference: str | None
    created_at: Timestamp
    method_type: str = Field("card", description="card (charged through the gateway), or for a manual payment "
                                                 "wire_transfer | check | cash | card | other.")
    manual: bool = Field(False, description="Recorded by the merchant (POST /v1/invoices/{id}/payments), not charged.")
    reference: str | None = None
    note: str | None = None
    paid_at: Timestamp
    amount_refunded: int = Field(0, description="Refunds that succeeded (pending ones are in `refunds`).")
    refunds: list[RefundOut] = Field(default_factory=list, description="Oldest first.")

    @classmethod
    def of(cls, payment: Payment, refunds: list[Refund] | None = None) -> "PaymentOut":
        refunds = refunds or []
        return cls(id=payment.id, invoice_id=payment.invoice_id,
                   attempt_id=None if payment.manual else payment.attempt_id,
                   attempt_number=payment.attempt_number, amount=payment.amount, currency=payment.currency,
                   payment_method=payment.payment_method, gateway_reference=payment.gateway_reference,
                   created_at=payment.created_at, method_type=payment.method_type or "card",
                   manual=bool(payment.manual), reference=payment.reference, note=payment.note,
                   paid_at=payment.paid_at or payment.created_at,
                   amount_refunded=sum(r.amount for r in refunds if r.status == "succeeded"),
                   refunds=[RefundOut.of(r) for r in refunds])


class PaymentList(ListBody[PaymentOut]):
    pass


class PaymentAttemptList(BaseModel):
    object: Literal["list"] = "list"
    data: list[PaymentAttemptOut]
    has_more: bool = False


# -- manual payments and refunds ------------------------------------------------------

ManualMethod = Literal[MANUAL_PAYMENT_METHODS]  # wire_transfer | check | cash | card | other
RefundReason = Literal["requested_by_customer", "duplicate", "fraudulent", "other"]
PositiveAmount = Annotated[int, Field(strict=True, gt=0, le=10**15,
                                      description="Minor units of the invoice's currency, e.g. 1999 = $19.99."),
                           IntegerMinorUnits]


class ManualPaymentRequest(RequestModel):
    method: ManualMethod = Field(description="How the money arrived: " + " | ".join(MANUAL_PAYMENT_METHODS) + ".")
    amount: PositiveAmount | None = Field(None, description="Default: the invoice's whole balance.")
    paid_at: Timestamp | None = Field(None, description="When the money arrived; default now; not in the future.")
    reference: Annotated[SingleLineText, StringConstraints(strip_whitespace=True, max_length=200)] | None = Field(
        None, description="What the payer quoted (wire reference, check number): one line, printed on the receipt.")
    note: Annotated[CleanText, StringConstraints(strip_whitespace=True, max_length=1000)] | None = Field(
        None, description="For the merchant only.")
    allow_overpayment: bool = Field(False, description="Accept more than the balance; the excess becomes the "
                                                       "customer's credit.")


class RefundRequest(RequestModel):
    amount: PositiveAmount | None = Field(None, description="Default: what is left to refund of the payment.")
    reason: RefundReason = "requested_by_customer"


class RefundList(BaseModel):
    object: Literal["list"] = "list"
    data: list[RefundOut]
    has_more: bool = False
