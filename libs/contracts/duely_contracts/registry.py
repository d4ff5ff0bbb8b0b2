"""Registry: event type → payload model → topic, and who publishes it."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from duely_contracts import events as ev


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
    EventSpec("organization.created", ev.OrganizationCreated, "invoicing", "organization",
              "An organization was created."),
    EventSpec("customer.created", ev.CustomerCreated, "invoicing", "customer", "A customer was created."),
    EventSpec("customer.updated", ev.CustomerUpdated, "invoicing", "customer", "A customer's details changed."),
    EventSpec("subscription.created", ev.SubscriptionChanged, "invoicing", "subscription",
              "A subscription was created."),
    EventSpec("subscription.updated", ev.SubscriptionChanged, "invoicing", "subscription",
              "A subscription's status or invoice settings changed."),
    EventSpec("invoice.issued", ev.InvoiceIssued, "invoicing", "invoice", "Invoice issued and sent to customer.",
              webhook=True),
    EventSpec("invoice.paid", ev.InvoicePaid, "invoicing", "invoice", "Invoice fully paid.", webhook=True),
    EventSpec("invoice.past_due", ev.InvoicePastDue, "invoicing", "invoice", "Invoice became past due.",
              webhook=True),
    EventSpec("invoice.voided", ev.InvoiceVoided, "invoicing", "invoice", "Invoice voided."),
    EventSpec("invoice.marked_uncollectible", ev.InvoiceMarkedUncollectible, "invoicing", "invoice",
              "Invoice written off."),
    EventSpec("invoice.payment_rejected", ev.InvoicePaymentRejected, "invoicing", "invoice",
              "A payment landed on a void, uncollectible or already paid invoice: not counted, to be refunded."),
    # Payments' record of an invoice: its charges, failures and refunds, keyed by the invoice id.
    EventSpec("payment.succeeded", ev.PaymentSucceeded, "payments", "invoice_payments",
              "A charge for an invoice succeeded."),
    EventSpec("invoice.payment_failed", ev.InvoicePaymentFailed, "payments", "invoice_payments",
              "Payment attempt failed.", webhook=True),
    EventSpec("payment.refunded", ev.PaymentRefunded, "payments", "invoice_payments",
              "A payment was refunded through the gateway.", webhook=True),
    EventSpec("payment_method.expiring", ev.PaymentMethodExpiring, "payments", "payment_method",
              "A saved card expires soon."),
    EventSpec("invoice.viewed", ev.InvoiceViewed, "portal", "invoice_view", "Customer viewed invoice.",
              webhook=True),
    EventSpec("dunning.invoice_overdue", ev.InvoiceOverdueDetected, "dunning", "invoice_collection",
              "Due date passed unpaid."),
    EventSpec("invoice.reminder_sent", ev.InvoiceReminderSent, "notifications", "invoice_reminders",
              "Reminder email sent.", webhook=True),
    EventSpec("email.delivered", ev.EmailDelivered, "notifications", "email",
              "An email was handed to the SMTP relay."),
    EventSpec("webhook.delivery_outcome", ev.WebhookDeliveryOutcome, "notifications", "webhook_delivery",
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
