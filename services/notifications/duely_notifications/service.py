"""Use cases of the notifications service. Guard clauses, then work; never commit
(the consumer wrapper or the HTTP dependency owns the transaction)."""

from __future__ import annotations

import asyncio
import base64
import secrets
import uuid
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts import Envelope
from duely_contracts.events import (
    InvoicePaid, InvoicePaymentFailed, OrganizationCreated, PaymentMethodExpiring, PaymentRefunded, PaymentSucceeded,
)
from duely_contracts.models import CustomerRef, InvoiceSnapshot
from duely_runtime.errors import conflict, invalid, not_found
from duely_runtime.outbound import OutboundGuard, OutboundRefused

from duely_notifications import repository as repo
from duely_notifications.domain import email_context, keys
from duely_notifications.domain.payment_words import method_details
from duely_notifications.domain.webhooks import (
    events_problem, normalized_events, subscribes, url_problem, webhook_body,
)
from duely_notifications.models import Message, WebhookEndpoint
from duely_notifications.rendering import TEMPLATES, EmailRenderer
from duely_notifications.config import Settings

REMINDABLE_STATUSES = ("issued", "past_due")


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def wake_after_commit(session: AsyncSession, event: asyncio.Event) -> None:
    """Wake a worker once the rows it should pick up are committed."""
    session.sync_session.info.setdefault("after_commit", []).append(event.set)


class Notifications:
    def __init__(self, settings: Settings, renderer: EmailRenderer | None = None,
                 clock: Callable[[], datetime] = utcnow, guard: OutboundGuard | None = None) -> None:
        self.settings = settings
        self.renderer = renderer or EmailRenderer()
        self.clock = clock
        self.guard = guard or OutboundGuard.from_settings(settings)
        self.email_wakeup = asyncio.Event()
        self.webhook_wakeup = asyncio.Event()

    # -- read models ------------------------------------------------------------

    async def record_organization(self, session: AsyncSession, envelope: Envelope, event: OrganizationCreated) -> None:
        await repo.upsert_organization(session, event.id, event.name, envelope.aggregate_version)

    async def record_invoice(self, session: AsyncSession, envelope: Envelope, invoice: InvoiceSnapshot) -> bool:
        """Keep the newest snapshot; an older one arriving late is ignored."""
        return await repo.upsert_invoice(session, invoice.model_dump(mode="json"), envelope.aggregate_version)

    # -- emails -----------------------------------------------------------------
    # Queued with the facts of their cause; rendered when sent (composition.py), from the invoice's
    # newest snapshot, in the customer's language and the organization's brand.

    async def queue_email(self, session: AsyncSession, *, organization_id: str, idempotency_key: str,
                          template: str, facts: dict[str, Any], customer: CustomerRef,
                          invoice_id: str | None) -> bool:
        """Store one email for the sender; False when its key was already queued."""
        if template not in TEMPLATES:
            raise ValueError(f"unknown email template {template!r}")
        now = self.clock()
        cc = [address for address in dict.fromkeys(customer.cc_emails) if address != customer.email]
        inserted = await repo.insert_message(session, {
            "id": new_id("msg"), "organization_id": organization_id, "idempotency_key": idempotency_key,
            "template": template, "to": [customer.email], "cc": cc, "facts": facts, "subject": None,
            "text_body": None, "html_body": None, "invoice_id": invoice_id,
            "status": "pending", "attempts": 0, "next_attempt_at": now, "last_error": None,
            "message_id_header": keys.message_id_header(idempotency_key, self.settings.message_id_domain),
            "created_at": now, "sent_at": None,
        })
        if inserted:
            wake_after_commit(session, self.email_wakeup)
        return inserted

    async def queue_invoice_issued(self, session: AsyncSession, envelope: Envelope, invoice: InvoiceSnapshot) -> None:
        await self.queue_email(
            session, organization_id=envelope.organization_id, idempotency_key=keys.invoice_issued_key(invoice.id),
            template="invoice_issued", facts={}, customer=invoice.customer, invoice_id=invoice.id)

    async def record_payment(self, session: AsyncSession, envelope: Envelope, event: PaymentSucceeded) -> None:
        """How the customer paid, for the receipt that goes out once the invoice is paid (invoice.paid):
        a payment that invoicing rejects (a void or already paid invoice) never gets one."""
        await repo.insert_payment(session, {
            "id": event.payment_id, "organization_id": envelope.organization_id, "invoice_id": event.invoice_id,
            "amount": event.amount, "currency": event.currency, "payment_method": event.payment_method,
            "method_details": method_details(envelope.data), "succeeded_at": event.succeeded_at,
            "recorded_at": self.clock()})

    async def queue_payment_receipt(self, session: AsyncSession, envelope: Envelope, event: InvoicePaid) -> None:
        """One receipt per paid invoice, with the paid invoice's PDF. A partial payment sends none: only
        invoice.paid says invoicing counted the money (see README)."""
        invoice = event.invoice
        key = keys.payment_receipt_key(event.payment_id or f"{invoice.id}:v{invoice.version}")
        await self.queue_email(
            session, organization_id=envelope.organization_id, idempotency_key=key, template="payment_receipt",
            facts={"payment_id": event.payment_id, "paid_at": event.paid_at.isoformat()},
            customer=invoice.customer, invoice_id=invoice.id)

    async def queue_payment_failed(self, session: AsyncSession, envelope: Envelope,
                                   event: InvoicePaymentFailed) -> None:
        await self.queue_email(
            session, organization_id=envelope.organization_id,
            idempotency_key=keys.payment_failed_key(event.invoice_id, event.attempt_number),
            template="payment_failed", facts={
                "attempt_number": event.attempt_number, "failure_code": event.failure_code,
                "failure_reason": event.failure_reason,
                "payment_method": event.payment_method, "method_details": method_details(envelope.data),
                "amount": event.amount, "currency": event.currency, "failed_at": event.failed_at.isoformat()},
            customer=event.invoice.customer, invoice_id=event.invoice_id)

    async def queue_payment_refunded(self, session: AsyncSession, envelope: Envelope, event: PaymentRefunded) -> None:
        """A payment invoicing could not count (the invoice was void or paid already) was refunded: say so,
        in place of the receipt it never got."""
        await self.queue_email(
            session, organization_id=envelope.organization_id,
            idempotency_key=keys.payment_refunded_key(event.refund_id), template="payment_refunded", facts={
                "refund_id": event.refund_id, "payment_id": event.payment_id, "amount": event.amount,
                "currency": event.currency, "reason": event.reason, "refunded_at": event.refunded_at.isoformat()},
            customer=event.invoice.customer, invoice_id=event.invoice_id)

    async def queue_payment_method_expiring(self, session: AsyncSession, envelope: Envelope,
                                            event: PaymentMethodExpiring) -> None:
        company = await repo.organization_name(session, envelope.organization_id)
        await self.queue_email(
            session, organization_id=envelope.organization_id,
            idempotency_key=keys.payment_method_expiring_key(event.payment_method_id, event.exp_month, event.exp_year),
            template="payment_method_expiring", facts={
                "brand": event.brand, "last4": event.last4, "exp_month": event.exp_month, "exp_year": event.exp_year,
                "customer_name": event.customer.name, "locale": event.customer.locale, "company": company},
            customer=event.customer, invoice_id=None)

    async def request_reminder(self, session: AsyncSession, organization_id: str, invoice_id: str,
                               tone: str = "gentle") -> Message:
        """Manual reminder: queue the invoice's next reminder email."""
        invoice = await repo.get_invoice(session, organization_id, invoice_id)
        if invoice is None:
            raise not_found("invoice", invoice_id)
        if invoice.status not in REMINDABLE_STATUSES:
            raise conflict("invoice_not_remindable",
                           f"Invoice {invoice_id} is {invoice.status}; only issued or past_due invoices can be "
                           "reminded.", param="id")
        if tone not in email_context.REMINDER_TONES:
            raise invalid("tone", f"tone must be one of {', '.join(email_context.REMINDER_TONES)}.")
        snapshot = InvoiceSnapshot.model_validate(invoice.snapshot)
        n = await repo.count_messages(session, invoice_id, "invoice_reminder") + 1
        key = keys.invoice_reminder_key(invoice_id, n)
        await self.queue_email(
            session, organization_id=organization_id, idempotency_key=key, template="invoice_reminder",
            facts={"tone": tone}, customer=snapshot.customer, invoice_id=invoice_id)
        message = await repo.message_by_key(session, key)
        assert message is not None
        return message

    # -- webhooks ---------------------------------------------------------------

    async def fan_out(self, session: AsyncSession, envelope: Envelope) -> int:
        """One delivery per subscribed endpoint of the event's organization (idempotent)."""
        endpoints = [e for e in await repo.list_endpoints(session, envelope.organization_id)
                     if subscribes(e.events, envelope.type)]
        if not endpoints:
            return 0
        body = webhook_body(envelope.id, envelope.type, envelope.occurred_at, envelope.organization_id,
                            envelope.data)
        now = self.clock()
        created = 0
        for endpoint in endpoints:
            created += await repo.insert_delivery(session, {
                "id": new_id("wd"), "endpoint_id": endpoint.id, "organization_id": envelope.organization_id,
                "event_id": envelope.id, "event_type": envelope.type, "payload": body, "status": "pending",
                "attempts": 0, "next_attempt_at": now, "last_status_code": None, "last_error": None,
                "created_at": now, "completed_at": None,
            })
        if created:
            wake_after_commit(session, self.webhook_wakeup)
        return created

    async def create_endpoint(self, session: AsyncSession, organization_id: str, url: str, events: list[str],
                              description: str | None) -> WebhookEndpoint:
        if problem := url_problem(url):
            raise invalid("url", problem)
        if problem := events_problem(events):
            raise invalid(*problem)
        try:
            await self.guard.check_url(url.strip())  # checked again before every delivery
        except OutboundRefused as refused:
            raise invalid("url", f"url {refused}.", code="url_not_allowed") from None
        endpoint = WebhookEndpoint(
            id=new_id("we"), organization_id=organization_id, url=url.strip(), events=normalized_events(events),
            description=description, secret=new_webhook_secret(), created_at=self.clock(), deleted_at=None)
        await repo.insert_endpoint(session, endpoint)
        return endpoint

    async def get_endpoint(self, session: AsyncSession, organization_id: str, endpoint_id: str) -> WebhookEndpoint:
        endpoint = await repo.get_endpoint(session, organization_id, endpoint_id)
        if endpoint is None:
            raise not_found("webhook endpoint", endpoint_id)
        return endpoint

    async def delete_endpoint(self, session: AsyncSession, organization_id: str, endpoint_id: str) -> None:
        endpoint = await self.get_endpoint(session, organization_id, endpoint_id)
        await repo.delete_endpoint(session, endpoint.id, self.clock())


def new_webhook_secret() -> str:
    """Standard Webhooks secret: whsec_ + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
