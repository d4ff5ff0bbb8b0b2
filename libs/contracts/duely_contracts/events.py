"""Payload models of every event and command on the bus.

Changing a contract compatibly means adding optional fields; anything else is a
new event type.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from duely_contracts.models import (
    AUTOPAY_SKIP_REASONS, CUSTOMER_FAILURE_REASONS, CardRef, Contract, CustomerRef, InvoiceSettingOverrides,
    InvoiceSnapshot, InvoiceSummary, LateFeeSettings, PaymentMethodRef,
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


class InvoicePaymentApplied(Contract):
    """A payment (any route: gateway, bank debit, manual) was counted; `invoice.amount_due` is the new balance.
    Published for every payment, partial or final; the final one is followed by `invoice.paid`."""

    invoice: InvoiceSnapshot
    payment_id: str
    amount: int
    currency: str
    method_type: str = Field("card", description="card | us_bank_account | sepa_debit | wire_transfer | check | "
                                                 "cash | other")
    paid_at: Timestamp
    credit_added: int = Field(0, description="Overpayment kept as the customer's credit balance.")


class InvoiceReopened(Contract):
    """Money counted on the invoice went back (a refund): its balance grew again; a paid invoice is open again."""

    invoice: InvoiceSnapshot
    reason: str = Field(description="payment_refunded")
    payment_id: str
    refund_id: str | None = None
    amount: int = Field(description="How much the balance grew.")


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
    method_type: str = Field("card", description="card | us_bank_account | sepa_debit (through the gateway), or "
                                                 "wire_transfer | check | cash | other (recorded by hand).")
    manual: bool = Field(False, description="Recorded by the merchant (POST /v1/invoices/{id}/payments), not charged.")
    reference: str | None = Field(None, description="Manual payments: the reference the payer quoted.")
    allow_overpayment: bool = Field(False, description="Manual payments: keep what exceeds the balance as the "
                                                       "customer's credit instead of refusing it.")
    autopay: bool = Field(False, description="Charged by AutoPay.")


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
    method_type: str = Field("card", description="card | us_bank_account | sepa_debit")
    late: bool = Field(False, description="A bank debit that was processing failed days later: the invoice is "
                                          "payable again.")
    autopay: bool = Field(False, description="Charged by AutoPay.")
    hard_decline: bool = Field(False, description="Retrying cannot help (card lost or stolen, account closed).")
    payment_group_id: str | None = Field(
        None, description="The charge paid several invoices at once (POST /v1/customers/{id}/payments): each "
                          "invoice gets this event; the first of the group (oldest due) speaks for it.")
    first_of_group: bool = Field(True, description="False for the group's other invoices: the customer is told "
                                                   "once, not once per invoice.")


class PaymentProcessing(Contract):
    """A bank debit was accepted by the gateway and settles in days; the invoice is held for it meanwhile."""

    attempt_id: str
    invoice_id: str
    amount: int
    currency: str
    payment_method: str
    method_type: str = Field(description="us_bank_account | sepa_debit")
    started_at: Timestamp
    invoice: InvoiceSummary
    autopay: bool = False


class AutopaySkipped(Contract):
    """AutoPay's moment came and no charge was attempted; the invoice stays payable by hand."""

    invoice_id: str
    reason: str = Field(description=" | ".join(AUTOPAY_SKIP_REASONS))
    message: str = Field(description="For the merchant: what to fix.")
    payment_method_id: str | None = None
    timer_id: str | None = Field(None, description="The collection timeline entry that asked for the charge.")
    skipped_at: Timestamp
    invoice: InvoiceSummary


class PaymentMethodChanged(Contract):
    """A saved method was attached, changed (default, status, verification) or detached."""

    payment_method: PaymentMethodRef
    customer: CustomerRef | None = None


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
    manual: bool = Field(False, description="Recorded only (the payment was made outside the gateway).")
    reason: str = Field(description="requested_by_customer | duplicate | fraudulent | other when asked for through "
                                    "the API; invoice_void, invoice_uncollectible or invoice_already_paid when the "
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
    organization_name: str | None = None
    update_url: str | None = Field(None, description="Where the customer replaces the card.")


# --- portal ----------------------------------------------------------------

class InvoiceViewed(Contract):
    invoice_id: str
    invoice_number: str | None
    viewed_at: Timestamp


PORTAL_LINK_REQUESTERS = ("merchant", "customer")


class PortalSessionCreated(Contract):
    """A customer opened the portal with a magic link: a session exists until it expires or is revoked."""

    session_id: str
    customer_id: str
    created_at: Timestamp
    expires_at: Timestamp


class PortalLinkRequested(Contract):
    """A portal sign-in link is to be emailed to the customer (asked for by the merchant or by the customer on an
    expired link's page). Carries the link itself: never a webhook."""

    customer_id: str
    email: str = Field(description="Where the link goes: the customer's address on file.")
    customer_name: str
    locale: str | None = Field(None, description="The customer's resolved locale (en, de, fr); null = en.")
    url: str = Field(description="The single-use magic link.")
    expires_at: Timestamp = Field(description="When the link stops working.")
    requested_by: str = Field(description=" | ".join(PORTAL_LINK_REQUESTERS))
    organization_name: str
    logo_url: str | None = None
    accent_color: str | None = Field(None, description="#RRGGBB")


# --- dashboard users (invoicing) ---------------------------------------------

class UserInvited(Contract):
    """A person was invited to an organization's dashboard: notifications emails them the invite link. Carries
    the link itself: never a webhook."""

    user_id: str
    email: str = Field(description="Where the invite goes.")
    name: str | None = None
    role: str = Field(description="viewer | finance | admin | owner")
    invited_by: str | None = Field(None, description="Who invited them (a user's name or email; null = an API key).")
    url: str = Field(description="The single-use invite link: the person chooses a password there.")
    expires_at: Timestamp = Field(description="When the link stops working.")


class UserSignInLinkRequested(Contract):
    """A dashboard user asked for a sign-in link by email: notifications emails it. Carries the link: never a
    webhook."""

    user_id: str
    email: str
    url: str = Field(description="The single-use sign-in link.")
    expires_at: Timestamp = Field(description="When the link stops working.")


# --- dunning (requests to other services) ----------------------------------

class InvoiceOverdueDetected(Contract):
    """Dunning saw the due date pass unpaid; invoicing marks the invoice past due."""

    invoice_id: str
    due_date: date
    detected_at: Timestamp


class AutopayChargeDue(Contract):
    """An AutoPay moment on an invoice's collection timeline fell due: payments charges it (or says why not)."""

    invoice_id: str
    timer_id: str = Field(description="The timeline entry: payments charges at most once per entry.")
    payment_method_id: str | None = Field(None, description="Named by the AutoPay setting; null = the customer's "
                                                            "default method.")
    scheduled_for: Timestamp
    fired_at: Timestamp
    reason: str = Field("autopay", description="autopay (the AutoPay moment) | dunning_retry (a dunning step's "
                                               "retry_payment)")


class ReminderDue(Contract):
    """A reminder fell due on an invoice's collection timeline (or was asked for by hand): notifications sends it
    on `channel` if the invoice still owes money when it goes out."""

    invoice_id: str
    timer_id: str = Field(description="The timeline entry: one message per entry and channel.")
    step: str = Field(description="before_3, after_7, v2:day_7 (a dunning schedule's step), manual_2026-12-01…")
    source: str = Field(description="before_due | after_due | dunning | manual")
    channel: str = Field(description="email | sms")
    template: str = Field(description="invoice_reminder | invoice_reminder_gentle | invoice_reminder_firm | "
                                      "invoice_reminder_final")
    tone: str = Field(description="gentle | firm | final")
    days_from_due: int | None = Field(None, description="Negative before the due date; null without one.")
    scheduled_for: Timestamp
    fired_at: Timestamp


class UncollectibleDue(Contract):
    """A dunning step wrote the invoice off: invoicing marks it uncollectible (if it still owes money)."""

    invoice_id: str
    timer_id: str
    step: str
    fired_at: Timestamp


class SubscriptionActionDue(Contract):
    """A dunning step pauses or cancels the invoice's subscription: invoicing changes its status."""

    subscription_id: str
    invoice_id: str
    action: str = Field(description="pause | cancel")
    timer_id: str
    step: str
    fired_at: Timestamp


class LateFeeDue(Contract):
    """A late fee period of an overdue invoice came: invoicing issues the fee invoice once per (invoice, period)."""

    invoice_id: str
    timer_id: str
    period: int = Field(ge=1)
    late_fee: LateFeeSettings
    fired_at: Timestamp


class DunningActionResult(Contract):
    action: str = Field(description="retry_payment | email_reminder | sms_reminder | pause_subscription | "
                                    "cancel_subscription | mark_uncollectible | mark_as_collections")
    outcome: str = Field(description="requested, or skipped_<reason>")


class DunningStepExecuted(Contract):
    """One step of the invoice's dunning schedule ran: what each of its actions did."""

    invoice_id: str
    invoice_number: str | None = None
    schedule_id: str
    schedule_version: int
    day: int
    step: str
    actions: list[DunningActionResult]
    amount_due: int
    currency: str
    executed_at: Timestamp


class InvoiceSentToCollections(Contract):
    """The dunning schedule ended without payment and its persistent-failure actions hand the invoice to
    collections."""

    invoice_id: str
    invoice_number: str | None = None
    amount_due: int
    currency: str
    schedule_id: str
    sent_at: Timestamp


class PaymentMethodExpiryDue(Contract):
    """A saved card's expiry check fell due (the month before it expires): payments warns if still needed."""

    payment_method_id: str
    customer_id: str
    exp_month: int
    exp_year: int
    fired_at: Timestamp


# --- notifications ---------------------------------------------------------

class InvoiceReminderSent(Contract):
    invoice_id: str
    invoice_number: str | None
    template: str
    recipients: list[str]
    message_id: str
    sent_at: Timestamp
    channel: str = Field("email", description="email | sms")
    step: str | None = Field(None, description="The collection timeline step (before_3, v1:day_7, manual_…).")
    source: str | None = Field(None, description="before_due | after_due | dunning | manual")


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
