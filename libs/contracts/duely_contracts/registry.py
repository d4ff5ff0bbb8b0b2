"""Registry: event type → payload model → topic, and who publishes it."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from duely_contracts import events


@dataclass(frozen=True)
class EventSpec:
    type: str
    model: type[BaseModel]
    publisher: str
    aggregate: str  # the envelope's aggregate_type: versions count per (aggregate_type, aggregate_id)
    description: str
    webhook: bool = False  # one of the public webhook events of the product

    @property
    def topic(self) -> str:
        # Topic name = event type, so one name means one thing everywhere.
        return self.type


_SPECS = [
    EventSpec("organization.created", events.OrganizationCreated, "invoicing", "organization",
              "An organization was created."),
    EventSpec("customer.created", events.CustomerCreated, "invoicing", "customer", "A customer was created."),
    EventSpec("customer.updated", events.CustomerUpdated, "invoicing", "customer", "A customer's details changed."),
    EventSpec("subscription.created", events.SubscriptionChanged, "invoicing", "subscription",
              "A subscription was created."),
    EventSpec("subscription.updated", events.SubscriptionChanged, "invoicing", "subscription",
              "A subscription's status or invoice settings changed."),
    EventSpec("invoice.issued", events.InvoiceIssued, "invoicing", "invoice", "Invoice issued and sent to customer.",
              webhook=True),
    EventSpec("invoice.paid", events.InvoicePaid, "invoicing", "invoice", "Invoice fully paid.", webhook=True),
    EventSpec("invoice.past_due", events.InvoicePastDue, "invoicing", "invoice", "Invoice became past due.",
              webhook=True),
    EventSpec("invoice.voided", events.InvoiceVoided, "invoicing", "invoice", "Invoice voided."),
    EventSpec("invoice.marked_uncollectible", events.InvoiceMarkedUncollectible, "invoicing", "invoice",
              "Invoice written off."),
    EventSpec("invoice.payment_succeeded", events.InvoicePaymentApplied, "invoicing", "invoice",
              "A payment was counted (partial or final); carries the amount and the new balance.", webhook=True),
    EventSpec("invoice.reopened", events.InvoiceReopened, "invoicing", "invoice",
              "A refund gave money back: the balance grew again and a paid invoice is open again.", webhook=True),
    EventSpec("invoice.payment_rejected", events.InvoicePaymentRejected, "invoicing", "invoice",
              "A payment landed on a void, uncollectible or already paid invoice: not counted, to be refunded."),
    # Payments' record of an invoice: its charges, failures and refunds, keyed by the invoice id.
    EventSpec("payment.succeeded", events.PaymentSucceeded, "payments", "invoice_payments",
              "A charge for an invoice succeeded."),
    EventSpec("invoice.payment_failed", events.InvoicePaymentFailed, "payments", "invoice_payments",
              "Payment attempt failed.", webhook=True),
    EventSpec("payment.refunded", events.PaymentRefunded, "payments", "invoice_payments",
              "A payment was refunded through the gateway.", webhook=True),
    EventSpec("payment.processing", events.PaymentProcessing, "payments", "invoice_payments",
              "A bank debit was started and settles in days.", webhook=True),
    EventSpec("invoice.autopay_skipped", events.AutopaySkipped, "payments", "invoice_payments",
              "AutoPay's moment came but no charge was attempted (the reason says what to fix).", webhook=True),
    EventSpec("payment_method.attached", events.PaymentMethodChanged, "payments", "payment_method",
              "A payment method was saved to a customer.", webhook=True),
    EventSpec("payment_method.updated", events.PaymentMethodChanged, "payments", "payment_method",
              "A saved payment method changed: default, status or verification.", webhook=True),
    EventSpec("payment_method.detached", events.PaymentMethodChanged, "payments", "payment_method",
              "A payment method was removed from a customer.", webhook=True),
    EventSpec("payment_method.expiring", events.PaymentMethodExpiring, "payments", "payment_method",
              "A saved card expires at the end of next month.", webhook=True),
    EventSpec("invoice.viewed", events.InvoiceViewed, "portal", "invoice_view", "Customer viewed invoice.",
              webhook=True),
    EventSpec("portal.session_created", events.PortalSessionCreated, "portal", "portal_session",
              "A customer opened the portal with a magic link (aggregate_id: the session id).", webhook=True),
    EventSpec("portal.link_requested", events.PortalLinkRequested, "portal", "portal_link",
              "A portal sign-in link is to be emailed to a customer (aggregate_id: the customer id); carries the "
              "link, so it is never a webhook."),
    EventSpec("user.invited", events.UserInvited, "invoicing", "user",
              "A person was invited to the organization's dashboard (aggregate_id: the user id); carries the invite "
              "link, so it is never a webhook."),
    EventSpec("user.sign_in_link_requested", events.UserSignInLinkRequested, "invoicing", "user",
              "A dashboard user asked for a sign-in link by email (aggregate_id: the user id); carries the link, so "
              "it is never a webhook."),
    EventSpec("dunning.invoice_overdue", events.InvoiceOverdueDetected, "dunning", "invoice_collection",
              "Due date passed unpaid."),
    EventSpec("dunning.autopay_charge_due", events.AutopayChargeDue, "dunning", "invoice_collection",
              "An AutoPay moment fell due: payments charges the invoice."),
    EventSpec("dunning.reminder_due", events.ReminderDue, "dunning", "invoice_collection",
              "A reminder fell due (or was asked for): notifications sends it on its channel."),
    EventSpec("dunning.uncollectible_due", events.UncollectibleDue, "dunning", "invoice_collection",
              "A dunning step writes the invoice off: invoicing marks it uncollectible."),
    EventSpec("dunning.subscription_action_due", events.SubscriptionActionDue, "dunning", "invoice_collection",
              "A dunning step pauses or cancels the invoice's subscription."),
    EventSpec("dunning.late_fee_due", events.LateFeeDue, "dunning", "invoice_collection",
              "A late fee period came: invoicing issues the late fee invoice."),
    EventSpec("invoice.dunning_step_executed", events.DunningStepExecuted, "dunning", "invoice_collection",
              "A step of the invoice's dunning schedule ran (its actions and what each did).", webhook=True),
    EventSpec("invoice.sent_to_collections", events.InvoiceSentToCollections, "dunning", "invoice_collection",
              "The dunning schedule ended unpaid and handed the invoice to collections.", webhook=True),
    EventSpec("dunning.payment_method_expiry_due", events.PaymentMethodExpiryDue, "dunning", "payment_method_checks",
              "A saved card's expiry check fell due."),
    EventSpec("invoice.reminder_sent", events.InvoiceReminderSent, "notifications", "invoice_reminders",
              "Reminder sent (email or SMS).", webhook=True),
    EventSpec("email.delivered", events.EmailDelivered, "notifications", "email",
              "An email was handed to the SMTP relay."),
    EventSpec("webhook.delivery_outcome", events.WebhookDeliveryOutcome, "notifications", "webhook_delivery",
              "A webhook delivery finished."),
]

REGISTRY: dict[str, EventSpec] = {spec.type: spec for spec in _SPECS}

WEBHOOK_EVENT_TYPES: tuple[str, ...] = tuple(s.type for s in _SPECS if s.webhook)


def model_for(event_type: str) -> type[BaseModel]:
    return REGISTRY[event_type].model


def aggregate_type_for(event_type: str) -> str:
    return REGISTRY[event_type].aggregate


def topic_for(event_type: str) -> str:
    return REGISTRY[event_type].topic


def all_topics() -> list[str]:
    return [spec.topic for spec in _SPECS]
