"""The SMS sender worker: decides each queued SMS from the invoice's newest snapshot, sends it through the
driver, records the provider's answer, retries with backoff, announces it (invoice.reminder_sent).

Claimed with a lease as emails are (claims.py). Decided in one transaction (skipped: the invoice paid,
void or uncollectible since, no phone, no consent, no provider; waiting: the invoice not known here yet),
sent outside any transaction, recorded in a second one. The driver passes the message's idempotency key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from duely_contracts.models import InvoiceSnapshot
from duely_runtime.db import Database
from duely_runtime.outbox import Outbox

from duely_notifications import repository as repo
from duely_notifications.claims import ClaimKeeper, run_worker
from duely_notifications.domain.relevance import obsolete_reason
from duely_notifications.domain.retry import next_retry_at
from duely_notifications.composition import presentation_of
from duely_notifications.email_kinds import reminder_day
from duely_notifications.custom_templates.render import custom_reminder_sms
from duely_notifications.custom_templates.variables import invoice_variables
from duely_notifications.models import SmsMessage
from duely_notifications.reminder_events import announce_reminder
from duely_notifications.service import Notifications
from duely_notifications.sms import repository as sms_repo
from duely_notifications.sms.driver import NoSmsDriver, SmsDriver, SmsResult
from duely_notifications.sms.rules import sms_refusal
from duely_notifications.sms.segments import count_segments
from duely_notifications.sms.text import reminder_sms

log = logging.getLogger(__name__)
NOT_CONFIGURED = "sms_not_configured"


@dataclass(frozen=True)
class Skip:
    reason: str
    to: str | None = None


@dataclass(frozen=True)
class Wait:
    reason: str


@dataclass(frozen=True)
class Text:
    to: str
    body: str
    segments: int
    encoding: str


class SmsSender:
    def __init__(self, db: Database, outbox: Outbox, notifications: Notifications, driver: SmsDriver) -> None:
        self.db = db
        self.outbox = outbox
        self.notifications = notifications
        self.settings = notifications.settings
        self.driver = driver
        self.claims = ClaimKeeper(db, SmsMessage.__table__, self.settings.claim_lease_s, notifications.clock)

    async def run(self) -> None:
        await run_worker(self.claims, self.notifications.sms_wakeup, self.send_due_batch,
                         self.settings.sms_batch_size, self.settings.worker_poll_interval_s, "sms-claims")

    async def send_due_batch(self) -> int:
        async with self.db.transaction() as session:
            rows = await sms_repo.claim_due_sms(session, self.notifications.clock(), self.claims.lease_until(),
                                                self.settings.sms_batch_size)
            for row in rows:
                self.claims.hold(row["id"], row["claim_token"])
        try:
            for row in rows:
                try:
                    await self.deliver(row)
                except Exception:  # one bad row must not hold back the others; its lease runs out, it retries
                    log.exception("SMS could not be processed", extra={"message_id": row["id"]})
        finally:
            for row in rows:
                self.claims.release(row["id"])
        return len(rows)

    async def deliver(self, row: dict[str, Any]) -> None:
        async with self.db.transaction() as session:
            decision = await self.decide(session, row)
            if isinstance(decision, Skip):
                log.info("SMS skipped", extra={"message_id": row["id"], "reason": decision.reason})
                await sms_repo.mark_sms_skipped(session, row["id"], row["claim_token"], decision.reason,
                                                to=decision.to)
                return
            if isinstance(decision, Wait):
                await self._failed(session, row, decision.reason, retryable=True)
                return
        result = await self._send(row, decision)
        outcome = {"to": decision.to, "body": decision.body, "segments": decision.segments,
                   "encoding": decision.encoding, "provider": self.driver.name, "provider_id": result.provider_id,
                   "provider_status": result.status, "provider_answer": result.raw or None}
        async with self.db.transaction() as session:
            if not result.accepted:
                await self._failed(session, row, result.error or "the provider refused it", result.retryable,
                                   **outcome)
                return
            sent_at = self.notifications.clock()
            if await sms_repo.mark_sms_sent(session, row["id"], row["claim_token"], sent_at, **outcome):
                await announce_reminder(session, self.outbox, row, [decision.to], "sms", sent_at)

    async def decide(self, session, row: dict[str, Any]) -> Skip | Wait | Text:
        """From the invoice's newest snapshot: whether, to whom and what."""
        invoice = await repo.get_invoice(session, row["organization_id"], row["invoice_id"])
        if invoice is None:
            return Wait(f"invoice {row['invoice_id']} is not known here yet (its invoice.issued has not arrived)")
        if reason := obsolete_reason(row["template"], invoice.status, int(invoice.snapshot.get("amount_due") or 0)):
            return Skip(reason)
        snapshot = InvoiceSnapshot.model_validate(invoice.snapshot)
        # The phone and consent as the customer has them now (consent withdrawn after approval holds).
        contact = await sms_repo.contact_of(session, row["organization_id"], snapshot.customer.id)
        customer = snapshot.customer if contact is None else snapshot.customer.model_copy(
            update={"phone": contact.phone, "sms_opt_in": contact.sms_opt_in})
        phone = customer.phone
        if refusal := sms_refusal(customer):
            return Skip(refusal, phone)
        if isinstance(self.driver, NoSmsDriver):
            return Skip(NOT_CONFIGURED, phone)
        today = reminder_day(row["facts"], snapshot.due_date, self.notifications.clock().date())
        document, view = presentation_of(snapshot, self.settings.email_locale)
        # The organization's own SMS text (custom_templates/) when its reminder template has one.
        body = await custom_reminder_sms(
            session, row["organization_id"], row["facts"], document.locale,
            lambda: invoice_variables(document, view, today, {}, [phone])) or reminder_sms(
            snapshot, str(row["facts"].get("tone") or "gentle"), today, self.settings.email_locale)
        counted = count_segments(body)
        return Text(phone, body, counted.count, counted.encoding)

    async def _send(self, row: dict[str, Any], text: Text) -> SmsResult:
        try:
            return await self.driver.send(text.to, text.body, idempotency_key=row["idempotency_key"])
        except (httpx.HTTPError, OSError) as exc:
            return SmsResult(False, None, None, {}, f"provider unreachable: {type(exc).__name__}: {exc}",
                             retryable=True)

    async def _failed(self, session, row: dict[str, Any], reason: str, retryable: bool, **outcome: Any) -> None:
        retry_at = next_retry_at(row["attempts"], self.settings.sms_backoff_s,
                                 self.notifications.clock()) if retryable else None
        log.warning("SMS not sent", extra={"message_id": row["id"], "attempts": row["attempts"], "error": reason,
                                           "gave_up": retry_at is None})
        await sms_repo.mark_sms_failed_attempt(session, row["id"], row["claim_token"], reason, retry_at, **outcome)
