"""API models: the collected-per-week report and the cross-invoice payment attempts log."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from duely_payments.models import PaymentAttempt
from duely_payments.schemas import PaymentAttemptOut


class CollectedWeek(BaseModel):
    week_start: date = Field(description="The week's Monday (UTC).")
    currency: str
    collected: int = Field(description="Minor units of payments received that week (by when the money arrived).")
    refunded: int = Field(description="Minor units of refunds completed that week.")
    payments: int = Field(description="How many payments were received that week.")


class CollectedReport(BaseModel):
    object: Literal["collected_report"] = "collected_report"
    weeks: list[CollectedWeek]


class PaymentAttemptLogEntry(PaymentAttemptOut):
    """An attempt as /v1/invoices/{id}/payment_attempts shows it, plus whose invoice and by what it was made."""

    customer_id: str | None = None
    method_type: str = Field(description="card | sepa_debit | us_bank_account …")
    method_description: str = Field(description="e.g. 'visa •••• 4242', or the method type.")
    autopay: bool = False

    @classmethod
    def of_attempt(cls, attempt: PaymentAttempt, customer_id: str | None) -> "PaymentAttemptLogEntry":
        base = PaymentAttemptOut.of(attempt).model_dump()
        card = attempt.card
        description = (" ".join(part for part in (card.brand, f"•••• {card.last4}" if card.last4 else None) if part)
                       if card else attempt.method_type)
        return cls(**base, customer_id=customer_id, method_type=attempt.method_type,
                   method_description=description, autopay=attempt.autopay)


class PaymentAttemptLog(BaseModel):
    object: Literal["list"] = "list"
    data: list[PaymentAttemptLogEntry]
    has_more: bool = False
