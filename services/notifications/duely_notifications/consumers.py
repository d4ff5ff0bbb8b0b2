"""Kafka handlers: one per event type, each doing all of that event's work in the
inbox transaction (read model, email rows, webhook deliveries). The emails are the kinds
in email_kinds.py."""

from __future__ import annotations

from duely_contracts import Envelope
from duely_contracts.events import (
    CustomerCreated, CustomerUpdated, InvoiceIssued, InvoiceMarkedUncollectible, InvoicePaid, InvoicePastDue,
    InvoicePaymentApplied, InvoicePaymentFailed, InvoiceReminderSent, InvoiceReopened, InvoiceViewed, InvoiceVoided,
    OrganizationCreated, PaymentMethodExpiring, PaymentRefunded, PaymentSucceeded, PortalLinkRequested, ReminderDue,
    UserInvited, UserSignInLinkRequested,
)
from duely_runtime.kit.clock import utcnow
from duely_runtime.service import ServiceRuntime

from duely_notifications import repository as repo
from duely_notifications.domain import dashboard_emails
from duely_notifications.email_kinds import PortalLink
from duely_notifications.sms import repository as sms_repo
from duely_notifications.service import Notifications

# Invoice lifecycle events whose only work here is the read model and the webhooks.
SNAPSHOT_EVENTS = ("invoice.past_due", "invoice.voided", "invoice.marked_uncollectible", "invoice.paid",
                   "invoice.reopened")
# Webhook events that send no email: the merchant's systems hear of them, the customer does not.
WEBHOOK_ONLY_EVENTS = ("payment.processing", "invoice.autopay_skipped", "payment_method.attached",
                       "payment_method.updated", "payment_method.detached", "invoice.dunning_step_executed",
                       "invoice.sent_to_collections", "portal.session_created")


def register(runtime: ServiceRuntime, notifications: Notifications) -> None:
    on_event = runtime.consumers.on

    @on_event("organization.created")
    async def organization_created(session, envelope: Envelope, event: OrganizationCreated) -> None:
        await notifications.record_organization(session, envelope, event)

    async def customer_changed(session, envelope: Envelope, event: CustomerCreated | CustomerUpdated) -> None:
        await sms_repo.record_contact(session, {
            "customer_id": event.id, "organization_id": envelope.organization_id, "phone": event.phone,
            "sms_opt_in": event.sms_opt_in, "version": envelope.aggregate_version, "updated_at": utcnow()})

    for event_type in ("customer.created", "customer.updated"):
        on_event(event_type)(customer_changed)

    @on_event("invoice.issued")
    async def invoice_issued(session, envelope: Envelope, event: InvoiceIssued) -> None:
        await notifications.record_invoice(session, envelope, event.invoice)
        await notifications.queue("invoice_issued", session, envelope.organization_id, event, envelope.data)
        await notifications.fan_out(session, envelope)

    async def invoice_changed(session, envelope: Envelope,
                              event: InvoicePaid | InvoicePastDue | InvoiceVoided | InvoiceMarkedUncollectible
                              | InvoiceReopened) -> None:
        await notifications.record_invoice(session, envelope, event.invoice)
        await notifications.fan_out(session, envelope)

    for event_type in SNAPSHOT_EVENTS:
        on_event(event_type)(invoice_changed)

    @on_event("invoice.payment_succeeded")
    async def invoice_payment_succeeded(session, envelope: Envelope, event: InvoicePaymentApplied) -> None:
        # Invoicing counted a payment (partial or final): its receipt, saying what remains. invoice.paid,
        # which follows the final one, sends none (the payment has its receipt already).
        await notifications.record_invoice(session, envelope, event.invoice)
        await notifications.queue("payment_receipt", session, envelope.organization_id, event, envelope.data)
        await notifications.fan_out(session, envelope)

    @on_event("payment.succeeded")
    async def payment_succeeded(session, envelope: Envelope, event: PaymentSucceeded) -> None:
        # How it was paid, for the receipt that goes out once invoicing counts it (invoice.payment_succeeded).
        await notifications.record_payment(session, envelope, event)
        await notifications.fan_out(session, envelope)  # not a webhook event today; a no-op until it is

    @on_event("invoice.payment_failed")
    async def payment_failed(session, envelope: Envelope, event: InvoicePaymentFailed) -> None:
        # After the first failed AutoPay charge, dunning's retries fail quietly: the step's reminder (same day)
        # is the customer's one message, not a failure email beside it. A declined charge for several invoices
        # at once is told once, by its first invoice.
        quiet_retry = event.autopay and await repo.autopay_failure_emailed(session, event.invoice_id)
        if event.first_of_group and not quiet_retry:
            await notifications.queue("payment_failed", session, envelope.organization_id, event, envelope.data)
        await notifications.fan_out(session, envelope)

    @on_event("payment.refunded")
    async def payment_refunded(session, envelope: Envelope, event: PaymentRefunded) -> None:
        await notifications.queue("payment_refunded", session, envelope.organization_id, event, envelope.data)
        await notifications.fan_out(session, envelope)

    @on_event("payment_method.expiring")
    async def payment_method_expiring(session, envelope: Envelope, event: PaymentMethodExpiring) -> None:
        await notifications.queue("payment_method_expiring", session, envelope.organization_id, event, envelope.data)
        await notifications.fan_out(session, envelope)

    async def webhook_only(session, envelope: Envelope, event) -> None:
        await notifications.fan_out(session, envelope)

    for event_type in WEBHOOK_ONLY_EVENTS:
        on_event(event_type)(webhook_only)

    @on_event("invoice.viewed")
    async def invoice_viewed(session, envelope: Envelope, event: InvoiceViewed) -> None:
        await notifications.fan_out(session, envelope)

    @on_event("portal.link_requested")
    async def portal_link_requested(session, envelope: Envelope, event: PortalLinkRequested) -> None:
        # A sign-in link, to the customer's address on file: never a webhook (it would hand the link to others).
        await notifications.queue("portal_link", session, envelope.organization_id, PortalLink(envelope.id, event),
                                  envelope.data)

    # The dashboard's invitations and sign-in links (issue #12), to the user's address: never webhooks.
    @on_event("user.invited")
    async def user_invited(session, envelope: Envelope, event: UserInvited) -> None:
        await notifications.queue(dashboard_emails.INVITE, session, envelope.organization_id,
                                  dashboard_emails.Invite(envelope.id, event), envelope.data)

    @on_event("user.sign_in_link_requested")
    async def sign_in_link_requested(session, envelope: Envelope, event: UserSignInLinkRequested) -> None:
        await notifications.queue(dashboard_emails.SIGN_IN, session, envelope.organization_id,
                                  dashboard_emails.SignInLink(envelope.id, event), envelope.data)

    @on_event("dunning.reminder_due")
    async def reminder_due(session, envelope: Envelope, event: ReminderDue) -> None:
        # A reminder fell due on the invoice's collection timeline (or was asked for by hand at dunning):
        # queued on its channel once per timeline entry; sent if the invoice still owes money then.
        await notifications.remind(session, envelope.organization_id, event, envelope.data)

    @on_event("invoice.reminder_sent")
    async def reminder_sent(session, envelope: Envelope, event: InvoiceReminderSent) -> None:
        # Our own event, consumed like any other so its webhook carries the published envelope.
        await notifications.fan_out(session, envelope)
