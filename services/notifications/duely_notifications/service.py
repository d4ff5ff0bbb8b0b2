"""Use cases of the notifications service. Guard clauses, then work; never commit
(the consumer wrapper or the HTTP dependency owns the transaction)."""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
from datetime import datetime
from typing import Any, Callable, Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts import Envelope
from duely_contracts.events import OrganizationCreated, PaymentSucceeded, ReminderDue
from duely_contracts.models import InvoiceSnapshot
from duely_runtime.errors import found
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.ids import new_id
from duely_runtime.kit.pagination import Page, start_position
from duely_runtime.outbound import OutboundGuard

from duely_notifications import repository as repo
from duely_notifications.config import Settings
from duely_notifications.domain import keys
from duely_notifications.domain.payment_words import method_details
from duely_notifications.domain.webhooks import subscribes, webhook_body
from duely_notifications.email_kinds import Reminder, email_kind
from duely_notifications.models import Message, SmsMessage
from duely_notifications.rendering import EmailRenderer
from duely_notifications.sms import repository as sms_repo
from duely_notifications.sms import service as sms_service
from duely_notifications.sms.service import merge_newest_first

log = logging.getLogger(__name__)


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
        self.sms_wakeup = asyncio.Event()

    # -- read models ------------------------------------------------------------

    async def record_organization(self, session: AsyncSession, envelope: Envelope, event: OrganizationCreated) -> None:
        await repo.upsert_organization(session, event.id, event.name, envelope.aggregate_version)

    async def record_invoice(self, session: AsyncSession, envelope: Envelope, invoice: InvoiceSnapshot) -> bool:
        """Keep the newest snapshot; an older one arriving late is ignored."""
        return await repo.upsert_invoice(session, invoice.model_dump(mode="json"), envelope.aggregate_version)

    async def learn_customer_of(self, session: AsyncSession, invoice: InvoiceSnapshot) -> None:
        """A reminder may arrive before its invoice (topics are not ordered together): once the invoice is
        known, its queued emails and SMS name its customer too."""
        for table in (Message.__table__, SmsMessage.__table__):
            await repo.set_customer_of_invoice(session, table, invoice.id, invoice.customer.id)

    # -- emails -----------------------------------------------------------------
    # The kinds are rows of EMAIL_KINDS (email_kinds.py). Queued with the facts of their cause; rendered
    # when sent (composition.py), from the invoice's newest snapshot, in the customer's language and the
    # organization's brand.

    async def queue(self, kind: str, session: AsyncSession, organization_id: str, cause: Any,
                    data: Mapping[str, Any] | None = None) -> str:
        """Store one email of `kind` (a row of EMAIL_KINDS) about `cause` for the sender; returns its
        idempotency key. The same cause queued again stores nothing new. `data`: the event as published
        (optional fields its model does not name)."""
        email = email_kind(kind)
        if not isinstance(cause, email.cause):
            raise TypeError(f"a {kind} email is caused by {email.cause.__name__}, not {type(cause).__name__}")
        key = email.key(cause)
        facts = email.facts(cause, data or {})
        if email.names_company:
            facts["company"] = await repo.organization_name(session, organization_id)
        recipients = email.recipients(cause)
        now = self.clock()
        inserted = await repo.insert_message(session, {
            "id": new_id("msg"), "organization_id": organization_id, "idempotency_key": key,
            "template": email.template, "customer_id": email.customer_id(cause), "to": recipients.to,
            "cc": recipients.cc, "facts": facts, "subject": None,
            "text_body": None, "html_body": None, "invoice_id": email.invoice_id(cause),
            "status": "pending", "attempts": 0, "next_attempt_at": now, "last_error": None,
            "message_id_header": keys.message_id_header(key, self.settings.message_id_domain),
            "created_at": now, "sent_at": None,
        })
        if inserted:
            wake_after_commit(session, self.email_wakeup)
        return key

    async def record_payment(self, session: AsyncSession, envelope: Envelope, event: PaymentSucceeded) -> None:
        """How the customer paid, for the receipt that goes out once invoicing counts the payment
        (invoice.payment_succeeded): a payment that invoicing rejects never gets one. The method's type, a
        manual payment's reference and the card (or account) last 4 ride in method_details."""
        details = dict(method_details(envelope.data) or {})
        details.update({"method_type": event.method_type, "manual": event.manual, "reference": event.reference})
        await repo.insert_payment(session, {
            "id": event.payment_id, "organization_id": envelope.organization_id, "invoice_id": event.invoice_id,
            "amount": event.amount, "currency": event.currency, "payment_method": event.payment_method,
            "method_details": details, "succeeded_at": event.succeeded_at,
            "recorded_at": self.clock()})

    async def remind(self, session: AsyncSession, organization_id: str, due: ReminderDue,
                     data: Mapping[str, Any] | None = None) -> str | None:
        """dunning.reminder_due: queue the reminder on its channel, once per (timeline entry, channel). Whether
        it still goes out (the invoice owes money; for an SMS, a phone and consent) is decided when it is
        sent, from the invoice's newest snapshot. Returns its idempotency key (None: a channel we don't have)."""
        invoice = await repo.get_invoice(session, organization_id, due.invoice_id)
        if due.channel == "sms":
            customer_id = invoice.snapshot.get("customer", {}).get("id") if invoice else None
            key = await sms_service.queue_reminder(session, organization_id, due, self.clock(), customer_id)
            wake_after_commit(session, self.sms_wakeup)
            return key
        if due.channel != "email":
            log.warning("reminder on an unknown channel; nothing queued",
                        extra={"channel": due.channel, "timer_id": due.timer_id})
            return None
        snapshot = InvoiceSnapshot.model_validate(invoice.snapshot) if invoice else None
        return await self.queue("invoice_reminder", session, organization_id, Reminder(due, snapshot), data)

    async def list_messages(self, session: AsyncSession, filters: repo.LogFilters, limit: int, *,
                            channel: str | None = None, starting_after: str | None = None
                            ) -> Page[Message | SmsMessage]:
        """The delivery log: emails and SMS together (or one `channel`), newest first, after the message
        `starting_after` names (an email's or an SMS's id; another organization's is no such message)."""
        after = None
        if starting_after:
            model = SmsMessage if starting_after.startswith(sms_service.ID_PREFIX + "_") else Message
            after = await start_position(session, model, model.organization_id == filters.organization_id,
                                         starting_after=starting_after)
        empty: Page = Page([], False, None)
        emails = await repo.page_messages(session, filters, limit, after) if channel != "sms" else empty
        texts = await sms_repo.page_sms(session, filters, limit, after) if channel != "email" else empty
        return merge_newest_first(emails, texts, limit)

    async def get_message(self, session: AsyncSession, organization_id: str, message_id: str) -> Message | SmsMessage:
        if message_id.startswith(sms_service.ID_PREFIX + "_"):
            return found(await sms_repo.get_sms(session, organization_id, message_id), "message", message_id)
        return found(await repo.get_message(session, organization_id, message_id), "message", message_id)

    # -- webhooks ---------------------------------------------------------------

    async def fan_out(self, session: AsyncSession, envelope: Envelope) -> int:
        """One delivery per subscribed endpoint of the event's organization (idempotent)."""
        # A disabled endpoint gets nothing new (webhooks/: disabled by hand or after failing).
        endpoints = [endpoint for endpoint in await repo.endpoints_of(session, envelope.organization_id)
                     if endpoint.disabled_at is None and subscribes(endpoint.events, envelope.type)]
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


def new_webhook_secret() -> str:
    """Standard Webhooks secret: whsec_ + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
