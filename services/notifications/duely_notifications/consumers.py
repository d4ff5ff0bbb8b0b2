"""Kafka handlers: one per event type, each doing all of that event's work in the
inbox transaction (read model, email rows, webhook deliveries)."""

from __future__ import annotations

from duely_contracts import Envelope
from duely_contracts.events import (
    InvoiceIssued, InvoiceMarkedUncollectible, InvoicePaid, InvoicePastDue, InvoicePaymentFailed,
    InvoiceReminderSent, InvoiceViewed, InvoiceVoided, OrganizationCreated, PaymentMethodExpiring, PaymentRefunded,
    PaymentSucceeded,
)
from duely_runtime.service import ServiceRuntime

from duely_notifications.service import Notifications

# Invoice lifecycle events whose only work here is the read model and the webhooks.
SNAPSHOT_EVENTS = ("invoice.past_due", "invoice.voided", "invoice.marked_uncollectible")


def register(runtime: ServiceRuntime, notifications: Notifications) -> None:
    on = runtime.consumers.on

    @on("organization.created")
    async def organization_created(session, envelope: Envelope, event: OrganizationCreated) -> None:
        await notifications.record_organization(session, envelope, event)

    @on("invoice.issued")
    async def invoice_issued(session, envelope: Envelope, event: InvoiceIssued) -> None:
        await notifications.record_invoice(session, envelope, event.invoice)
        await notifications.queue_invoice_issued(session, envelope, event.invoice)
        await notifications.fan_out(session, envelope)

    async def invoice_changed(session, envelope: Envelope,
                              event: InvoicePaid | InvoicePastDue | InvoiceVoided | InvoiceMarkedUncollectible) -> None:
        await notifications.record_invoice(session, envelope, event.invoice)
        await notifications.fan_out(session, envelope)

    for event_type in SNAPSHOT_EVENTS:
        on(event_type)(invoice_changed)

    @on("invoice.paid")
    async def invoice_paid(session, envelope: Envelope, event: InvoicePaid) -> None:
        # The receipt goes out now that invoicing counted the payment, so its PDF shows the invoice paid.
        await notifications.record_invoice(session, envelope, event.invoice)
        await notifications.queue_payment_receipt(session, envelope, event)
        await notifications.fan_out(session, envelope)

    @on("payment.succeeded")
    async def payment_succeeded(session, envelope: Envelope, event: PaymentSucceeded) -> None:
        await notifications.record_payment(session, envelope, event)  # the receipt waits for invoice.paid
        await notifications.fan_out(session, envelope)  # not a webhook event today; a no-op until it is

    @on("invoice.payment_failed")
    async def payment_failed(session, envelope: Envelope, event: InvoicePaymentFailed) -> None:
        await notifications.queue_payment_failed(session, envelope, event)
        await notifications.fan_out(session, envelope)

    @on("payment.refunded")
    async def payment_refunded(session, envelope: Envelope, event: PaymentRefunded) -> None:
        await notifications.queue_payment_refunded(session, envelope, event)
        await notifications.fan_out(session, envelope)

    @on("payment_method.expiring")
    async def payment_method_expiring(session, envelope: Envelope, event: PaymentMethodExpiring) -> None:
        await notifications.queue_payment_method_expiring(session, envelope, event)

    @on("invoice.viewed")
    async def invoice_viewed(session, envelope: Envelope, event: InvoiceViewed) -> None:
        await notifications.fan_out(session, envelope)

    @on("invoice.reminder_sent")
    async def reminder_sent(session, envelope: Envelope, event: InvoiceReminderSent) -> None:
        # Our own event, consumed like any other so its webhook carries the published envelope.
        await notifications.fan_out(session, envelope)
