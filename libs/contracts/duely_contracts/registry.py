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
    description: str
    webhook: bool = False  # one of the public webhook events of the product

    @property
    def topic(self) -> str:
        # Topic name = event type, so one name means one thing everywhere.
        return self.type


_SPECS = [
    EventSpec("organization.created", ev.OrganizationCreated, "invoicing", "An organization was created."),
    EventSpec("customer.created", ev.CustomerCreated, "invoicing", "A customer was created."),
    EventSpec("customer.updated", ev.CustomerUpdated, "invoicing", "A customer's details changed."),
    EventSpec("subscription.created", ev.SubscriptionChanged, "invoicing", "A subscription was created."),
    EventSpec("subscription.updated", ev.SubscriptionChanged, "invoicing",
              "A subscription's status or invoice settings changed."),
    EventSpec("invoice.issued", ev.InvoiceIssued, "invoicing", "Invoice issued and sent to customer.", webhook=True),
    EventSpec("invoice.paid", ev.InvoicePaid, "invoicing", "Invoice fully paid.", webhook=True),
    EventSpec("invoice.past_due", ev.InvoicePastDue, "invoicing", "Invoice became past due.", webhook=True),
    EventSpec("invoice.voided", ev.InvoiceVoided, "invoicing", "Invoice voided."),
    EventSpec("invoice.marked_uncollectible", ev.InvoiceMarkedUncollectible, "invoicing", "Invoice written off."),
    EventSpec("invoice.payment_rejected", ev.InvoicePaymentRejected, "invoicing",
              "A payment landed on a void, uncollectible or already paid invoice: not counted, to be refunded."),
    EventSpec("payment.succeeded", ev.PaymentSucceeded, "payments", "A charge for an invoice succeeded."),
    EventSpec("invoice.payment_failed", ev.InvoicePaymentFailed, "payments", "Payment attempt failed.", webhook=True),
    EventSpec("payment.refunded", ev.PaymentRefunded, "payments", "A payment was refunded through the gateway."),
    EventSpec("payment_method.expiring", ev.PaymentMethodExpiring, "payments", "A saved card expires soon."),
    EventSpec("invoice.viewed", ev.InvoiceViewed, "portal", "Customer viewed invoice.", webhook=True),
    EventSpec("dunning.invoice_overdue", ev.InvoiceOverdueDetected, "dunning", "Due date passed unpaid."),
    EventSpec("invoice.reminder_sent", ev.InvoiceReminderSent, "notifications", "Reminder email sent.", webhook=True),
    EventSpec("email.delivered", ev.EmailDelivered, "notifications", "An email was handed to the SMTP relay."),
    EventSpec("webhook.delivery_outcome", ev.WebhookDeliveryOutcome, "notifications", "A webhook delivery finished."),
]

REGISTRY: dict[str, EventSpec] = {spec.type: spec for spec in _SPECS}

WEBHOOK_EVENT_TYPES: tuple[str, ...] = tuple(s.type for s in _SPECS if s.webhook)


def model_for(event_type: str) -> type[BaseModel]:
    return REGISTRY[event_type].model


def topic_for(event_type: str) -> str:
    return REGISTRY[event_type].topic


def all_topics() -> list[str]:
    return [spec.topic for spec in _SPECS]
