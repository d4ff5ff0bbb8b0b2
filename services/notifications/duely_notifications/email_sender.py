"""The sender worker: sends pending emails over SMTP, marks them sent, retries with backoff.

Rows are claimed with a lease, sent, then marked in a second transaction. A crash
between the two resends after the lease with the same Message-ID, which the
relay (our catcher) and mail clients recognise as the same message.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.events import EmailDelivered, InvoiceReminderSent
from duely_runtime.db import Database
from duely_runtime.outbox import Outbox

from duely_notifications import repository as repo
from duely_notifications.domain.retry import next_retry_at
from duely_notifications.mailer import Mailer
from duely_notifications.service import Notifications

log = logging.getLogger(__name__)


class EmailSender:
    def __init__(self, db: Database, outbox: Outbox, notifications: Notifications, mailer: Mailer) -> None:
        self.db = db
        self.outbox = outbox
        self.notifications = notifications
        self.settings = notifications.settings
        self.mailer = mailer

    async def run(self) -> None:
        wakeup = self.notifications.email_wakeup
        while True:
            wakeup.clear()
            if await self.send_due_batch() >= self.settings.email_batch_size:
                continue
            try:
                await asyncio.wait_for(wakeup.wait(), self.settings.worker_poll_interval_s)
            except asyncio.TimeoutError:
                pass

    async def send_due_batch(self) -> int:
        now = self.notifications.clock()
        lease_until = now + timedelta(seconds=self.settings.claim_lease_s)
        async with self.db.transaction() as session:
            rows = await repo.claim_due_messages(session, now, lease_until, self.settings.email_batch_size)
        if not rows:
            return 0
        errors = await self._send(rows)
        async with self.db.transaction() as session:
            for row in rows:
                error = errors.get(row["id"])
                if error is None:
                    await self._mark_sent(session, row)
                else:
                    await self._schedule_retry(session, row, error)
        return len(rows)

    async def _send(self, rows: list[dict[str, Any]]) -> dict[str, str]:
        """Send each row; returns {message id: error} for the ones that failed."""
        errors: dict[str, str] = {}
        pending = list(rows)
        try:
            async with self.mailer.connection() as smtp:
                while pending:
                    row = pending[0]
                    try:
                        await self.mailer.send(smtp, row)
                    except aiosmtplib.SMTPResponseException as exc:  # this message refused; the connection lives
                        errors[row["id"]] = f"SMTP {exc.code}: {exc.message}"
                    except aiosmtplib.SMTPRecipientsRefused as exc:
                        errors[row["id"]] = f"recipients refused: {exc.recipients}"
                    pending.pop(0)
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
            for row in pending:  # the connection failed: everything not yet sent is retried
                errors[row["id"]] = f"{type(exc).__name__}: {exc}"
        return errors

    async def _mark_sent(self, session: AsyncSession, row: dict[str, Any]) -> None:
        sent_at = self.notifications.clock()
        if not await repo.mark_message_sent(session, row["id"], sent_at):
            return  # another worker got there first; its events are already emitted
        recipients = list(row["to"]) + list(row["cc"])
        await self.outbox.emit(session, "email.delivered", EmailDelivered(
            message_id=row["id"], template=row["template"], recipients=recipients,
            invoice_id=row["invoice_id"], delivered_at=sent_at),
            organization_id=row["organization_id"], aggregate_id=row["id"], aggregate_version=1)
        if row["template"] == "invoice_reminder" and row["invoice_id"]:
            invoice = await repo.get_invoice(session, row["organization_id"], row["invoice_id"])
            await self.outbox.emit(session, "invoice.reminder_sent", InvoiceReminderSent(
                invoice_id=row["invoice_id"], invoice_number=invoice.number if invoice else None,
                template=row["template"], recipients=recipients, message_id=row["id"], sent_at=sent_at),
                organization_id=row["organization_id"], aggregate_id=row["invoice_id"],
                aggregate_version=invoice.version if invoice else 0)

    async def _schedule_retry(self, session: AsyncSession, row: dict[str, Any], error: str) -> None:
        retry_at = next_retry_at(row["attempts"], self.settings.email_backoff_s, self.notifications.clock())
        log.warning("email not sent", extra={"message_id": row["id"], "attempts": row["attempts"],
                                             "error": error, "gave_up": retry_at is None})
        await repo.mark_message_failed_attempt(session, row["id"], error, retry_at)
