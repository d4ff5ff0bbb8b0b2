"""Payload models of every event and command on the bus.

Changing a contract compatibly means adding optional fields; anything else is a
new event type.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from duely_contracts.models import (
    CUSTOMER_FAILURE_REASONS, CardRef, Contract, CustomerRef, InvoiceSettingOverrides, InvoiceSnapshot, InvoiceSummary,
)
from duely_contracts.timestamps import Timestamp


# --- invoicing -------------------------------------------------------------

class OrganizationCreated(Contract):
    id: str
    name: str
    test_mode: bool = True


class CustomerCreated(CustomerRef):
    organization_id: str
    invoice_settings: InvoiceSettingOverrides | None = None


class CustomerUpdated(CustomerRef):
    organization_id: str
    invoice_settings: InvoiceSettingOverrides | None = None


class SubscriptionChanged(Contract):
    """A customer's recurring agreement: its status and its invoice-setting overrides (null = inherit)."""

    id: str
    organization_id: str
    customer_id: str
    description: str | None = None
    status: str = Field(description="active | paused | canceled")
    previous_status: str | None = None
    invoice_settings: InvoiceSettingOverrides = Field(default_factory=lambda: InvoiceSettingOverrides())
    canceled_at: Timestamp | None = None


class InvoiceIssued(Contract):
    """Published at approval: the invoice has a number and is sent to the customer."""

    invoice: InvoiceSnapshot


class InvoicePaid(Contract):
    invoice: InvoiceSnapshot
    payment_id: str | None = None
    paid_at: Timestamp


class InvoicePastDue(Contract):
    invoice: InvoiceSnapshot
    days_overdue: int = 0


class InvoiceVoided(Contract):
    invoice: InvoiceSnapshot


class InvoiceMarkedUncollectible(Contract):
    invoice: InvoiceSnapshot


# --- payments --------------------------------------------------------------

class PaymentSucceeded(Contract):
    payment_id: str
    invoice_id: str
    attempt_number: int
    attempt_id: str | None = Field(None, description="The attempt that charged: it held the invoice's charge "
                                                     "reservation, which this payment ends.")
    amount: int
    currency: str
    payment_method: str
    gateway_reference: str | None = None
    succeeded_at: Timestamp
    invoice: InvoiceSummary
    card: CardRef | None = Field(None, description="The card charged, when the gateway told us its brand and last4.")


class InvoicePaymentFailed(Contract):
    """A charge attempt for an invoice failed; the invoice stays payable."""

    invoice_id: str
    attempt_number: int = Field(ge=1)
    failure_code: str = Field(description="The gateway's code, for the merchant (card_declined, expired_card…).")
    failure_message: str = Field(description="The gateway's words, for the merchant: never show them to the customer.")
    amount: int
    currency: str
    payment_method: str
    failed_at: Timestamp
    invoice: InvoiceSummary
    failure_reason: str | None = Field(
        None, description=f"What the customer may be told: {' | '.join(CUSTOMER_FAILURE_REASONS)} (any "
                          "other decline, lost or stolen cards included).")
    card: CardRef | None = Field(None, description="The card tried, when the gateway told us its brand and last4.")


class InvoicePaymentRejected(Contract):
    """A payment landed on an invoice that could no longer take it; it is not counted, and payments refunds it."""

    payment_id: str
    invoice_id: str
    amount: int
    currency: str
    reason: str = Field(description="invoice_void | invoice_already_paid")
    invoice: InvoiceSnapshot


class PaymentRefunded(Contract):
    """Money of a payment went back to the customer through the gateway."""

    refund_id: str
    payment_id: str
    invoice_id: str
    amount: int
    currency: str
    reason: str = Field(description="Why: invoice_void, invoice_uncollectible or invoice_already_paid when the "
                                    "payment landed on a closed invoice and was refunded automatically.")
    gateway_reference: str | None = Field(None, description="The gateway's refund id.")
    refunded_at: Timestamp
    invoice: InvoiceSummary


class PaymentMethodExpiring(Contract):
    payment_method_id: str
    customer: CustomerRef
    brand: str
    last4: str
    exp_month: int
    exp_year: int


# --- portal ----------------------------------------------------------------

class InvoiceViewed(Contract):
    invoice_id: str
    invoice_number: str | None
    viewed_at: Timestamp


# --- dunning (requests to other services) ----------------------------------

class InvoiceOverdueDetected(Contract):
    """Dunning saw the due date pass unpaid; invoicing marks the invoice past due."""

    invoice_id: str
    due_date: date
    detected_at: Timestamp


# --- notifications ---------------------------------------------------------

class InvoiceReminderSent(Contract):
    invoice_id: str
    invoice_number: str | None
    template: str
    recipients: list[str]
    message_id: str
    sent_at: Timestamp


class EmailDelivered(Contract):
    message_id: str
    template: str
    recipients: list[str]
    invoice_id: str | None = None
    delivered_at: Timestamp


class WebhookDeliveryOutcome(Contract):
    delivery_id: str
    endpoint_id: str
    event_id: str
    event_type: str
    succeeded: bool
    attempts: int
    status_code: int | None = None
