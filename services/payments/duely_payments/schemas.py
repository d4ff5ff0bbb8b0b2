"""The API's request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from duely_contracts.models import CUSTOMER_FAILURE_REASONS, CardRef
from duely_contracts.timestamps import Timestamp
from duely_payments.models import Payment, PaymentAttempt
from duely_runtime.kit.pagination import ListBody
from duely_runtime.text import CleanText, document_text_rules

Id = Annotated[CleanText, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=document_text_rules)


class PayRequest(RequestModel):
    # Optional here so a missing or blank value gets one clear error from the use case.
    payment_method: Annotated[CleanText, StringConstraints(max_length=255)] | None = None


class InternalPayRequest(PayRequest):
    organization_id: Id


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


class PaymentOut(BaseModel):
    id: str
    object: Literal["payment"] = "payment"
    status: Literal["succeeded"] = "succeeded"
    invoice_id: str
    attempt_id: str
    attempt_number: int
    amount: int
    currency: str
    payment_method: str
    gateway_reference: str | None
    created_at: Timestamp

    @classmethod
    def of(cls, payment: Payment) -> "PaymentOut":
        return cls(id=payment.id, invoice_id=payment.invoice_id, attempt_id=payment.attempt_id,
                   attempt_number=payment.attempt_number, amount=payment.amount, currency=payment.currency,
                   payment_method=payment.payment_method, gateway_reference=payment.gateway_reference,
                   created_at=payment.created_at)


class PaymentList(ListBody[PaymentOut]):
    pass


class PaymentAttemptList(BaseModel):
    object: Literal["list"] = "list"
    data: list[PaymentAttemptOut]
    has_more: bool = False
