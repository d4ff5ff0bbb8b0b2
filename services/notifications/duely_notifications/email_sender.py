"""The sender worker: renders pending emails when they are due (composition.py), sends them over SMTP,
marks them sent (or skipped, when the invoice made them obsolete), retries with backoff.

Rows are claimed with a lease, sent, then marked in a second transaction; the
lease is renewed while the batch is still being sent (claims.py), so only a
crash between sending and marking makes a row due again, and the resend has the
same Message-ID, which the relay (our catcher) and mail clients recognise.

A batch is composed side by side and sent over a few connections at once
(SMTP_CONNECTIONS). A message the relay cannot take (an address it can't encode,
a refused recipient, a message that can't be serialized) fails alone: the batch
goes on with the next one, over a new connection if the relay dropped the old one.
"""

from __future__ import annotations

import asyncio
import email.errors
import logging
from typing import Any

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.events import EmailDelivered
from duely_runtime.db import Database
from duely_runtime.outbox import Outbox

from duely_notifications import repository as repo
from duely_notifications.claims import ClaimKeeper, run_worker
from duely_notifications.composition import Composer, Defer, Outgoing, Plan, Skip, Wait, plan
from duely_notifications.domain.retry import next_retry_at
from duely_notifications.invoice_pdfs import InvoicePdfs, PdfUnavailable
from duely_notifications.mailer import Mailer
from duely_notifications.models import Message
from duely_notifications.reminder_events import announce_reminder
from duely_notifications.service import Notifications

log = logging.getLogger(__name__)

# The relay refused or can't carry this one message; the connection is still good.
MESSAGE_ERRORS = (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPNotSupported,
                  ValueError, UnicodeError, email.errors.MessageError)
# The connection is gone, timed out mid-message, or never came: nothing more goes over it.
CONNECTION_ERRORS = (aiosmtplib.SMTPException, OSError, TimeoutError)


def connection_reason(exc: BaseException) -> str:
    detail = str(exc)
    return f"relay connection failed: {type(exc).__name__}" + (f": {detail}" if detail else "")


class SendFailure:
    def __init__(self, reason: str, permanent: bool) -> None:
        self.reason = reason
        self.permanent = permanent  # retrying the same bytes to the same relay can't help


def message_failure(exc: Exception) -> SendFailure:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return SendFailure(f"SMTP {exc.code}: {exc.message}", permanent=exc.code >= 500)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        refused = ", ".join(f"{r.recipient} ({r.code})" for r in exc.recipients)
        return SendFailure(f"recipients refused: {refused}", permanent=all(code >= 500 for code in codes))
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return SendFailure(f"the relay can't take this message: {exc}", permanent=True)
    return SendFailure(f"the message can't be encoded for SMTP: {type(exc).__name__}: {exc}", permanent=True)


class EmailSender:
    def __init__(self, db: Database, outbox: Outbox, notifications: Notifications, mailer: Mailer,
                 composer: Composer | None = None) -> None:
        self.db = db
        self.outbox = outbox
        self.notifications = notifications
        self.settings = notifications.settings
        self.mailer = mailer
        self.composer = composer or Composer(self.settings, InvoicePdfs(
            self.settings.invoicing_url, self.settings.internal_secret,
            max_bytes=self.settings.email_attachment_max_bytes, timeout_s=self.settings.pdf_fetch_timeout_s),
            notifications.renderer, notifications.clock)
        self.claims = ClaimKeeper(db, Message.__table__, self.settings.claim_lease_s, notifications.clock)

    async def run(self) -> None:
        await run_worker(self.claims, self.notifications.email_wakeup, self.send_due_batch,
                         self.settings.email_batch_size, self.settings.worker_poll_interval_s, "email-claims")

    async def send_due_batch(self) -> int:
        async with self.db.transaction() as session:
            rows = await repo.claim_due_messages(session, self.notifications.clock(), self.claims.lease_until(),
                                                 self.settings.email_batch_size)
            for row in rows:  # held before the commit: renewal covers the rows from the start
                self.claims.hold(row["id"], row["claim_token"])
        if not rows:
            return 0
        try:
            outgoing, failures = await self.prepare(rows)
            replies: dict[str, str] = {}
            failures.update(await self._send(outgoing, replies))
            async with self.db.transaction() as session:
                for email in outgoing:
                    if email.row["id"] not in failures:
                        await self._mark_sent(session, email, replies.get(email.row["id"]))
                for row in rows:
                    if row["id"] in failures:
                        await self._schedule_retry(session, row, failures[row["id"]])
        finally:
            for row in rows:
                self.claims.release(row["id"])
        return len(rows)

    async def prepare(self, rows: list[dict[str, Any]]) -> tuple[list[Outgoing], dict[str, SendFailure]]:
        """Claimed rows → the emails to send now. Obsolete ones are marked skipped here; the ones that
        must wait (invoice not known yet, PDF not available) come back as failures to retry."""
        failures: dict[str, SendFailure] = {}
        plans: list[Plan] = []
        async with self.db.transaction() as session:  # the invoice's newest snapshot, read now
            for row in rows:
                decision = await plan(session, row)
                if isinstance(decision, Skip):
                    log.info("email skipped", extra={"message_id": row["id"], "reason": decision.reason})
                    await repo.mark_message_skipped(session, row["id"], row["claim_token"], decision.reason)
                elif isinstance(decision, Wait):
                    failures[row["id"]] = SendFailure(decision.reason, permanent=False)
                elif isinstance(decision, Defer):
                    await repo.release_message(session, row["id"], row["claim_token"], self.notifications.clock())
                else:
                    plans.append(decision)
        # Composed side by side: most of an email's time is waiting (its PDF from invoicing, a thread).
        slots = asyncio.Semaphore(self.settings.email_compose_concurrency)

        async def compose(planned: Plan) -> Outgoing | None:
            async with slots:
                try:
                    return await self.composer.compose(planned)
                except PdfUnavailable as unavailable:
                    failures[planned.row["id"]] = SendFailure(str(unavailable), permanent=False)
                except Exception as exc:  # a bug or bad data in one email must not hold back the others
                    log.exception("email could not be rendered", extra={"message_id": planned.row["id"]})
                    failures[planned.row["id"]] = SendFailure(
                        f"could not be rendered: {type(exc).__name__}: {exc}", permanent=True)
                return None

        composed = await asyncio.gather(*(compose(planned) for planned in plans))
        return [email for email in composed if email is not None], failures

    async def _send(self, emails: list[Outgoing], replies: dict[str, str] | None = None) -> dict[str, SendFailure]:
        """Send each email; returns {message id: failure} for the ones that were not sent, and puts the relay's
        reply to each one sent in `replies`. Up to `smtp_connections` connections send side by side (a claim
        holds at most one email of an invoice, so their order within the batch does not matter)."""
        failures: dict[str, SendFailure] = {}
        queue = list(reversed(emails))  # popped from the end: oldest first
        unreachable: list[str] = []
        deadline_s = self.settings.smtp_timeout  # for each message as a whole, not for each command

        async def connection() -> None:
            async with self.mailer.session() as relay:
                while queue and not unreachable:
                    email = queue.pop()
                    try:
                        async with asyncio.timeout(deadline_s):
                            smtp = await relay.connected()
                    except CONNECTION_ERRORS as exc:  # the relay is unreachable: the rest waits for its retry
                        unreachable.append(connection_reason(exc))
                        failures[email.row["id"]] = SendFailure(unreachable[0], permanent=False)
                        return
                    try:
                        async with asyncio.timeout(deadline_s):
                            reply = await self.mailer.send(smtp, email)
                        if replies is not None:
                            replies[email.row["id"]] = reply
                    except MESSAGE_ERRORS as exc:
                        failures[email.row["id"]] = message_failure(exc)
                        if isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code == 421:
                            relay.drop()  # "closing the channel": the next message reconnects
                    except CONNECTION_ERRORS as exc:
                        failures[email.row["id"]] = SendFailure(connection_reason(exc), permanent=False)
                        relay.drop()

        if emails:
            await asyncio.gather(*(connection() for _ in range(min(self.settings.smtp_connections, len(emails)))))
        for email in queue:  # left behind when the relay could not be reached
            failures[email.row["id"]] = SendFailure(unreachable[0], permanent=False)
        return failures

    async def _mark_sent(self, session: AsyncSession, email: Outgoing, reply: str | None = None) -> None:
        row = email.row
        sent_at = self.notifications.clock()
        attachments = [email.attachment.filename] if email.attachment else []
        if not await repo.mark_message_sent(session, row["id"], row["claim_token"], sent_at, subject=email.subject,
                                            text_body=email.text, html_body=email.html, attachments=attachments,
                                            to=row["to"], cc=row["cc"], provider_response=reply):
            return  # another worker's claim finished it; its events are already emitted
        recipients = list(row["to"]) + list(row["cc"])
        await self.outbox.emit(session, "email.delivered", EmailDelivered(
            message_id=row["id"], template=row["template"], recipients=recipients,
            invoice_id=row["invoice_id"], delivered_at=sent_at),
            organization_id=row["organization_id"], aggregate_id=row["id"], aggregate_version=1)
        if row["template"] == "invoice_reminder" and row["invoice_id"]:
            await announce_reminder(session, self.outbox, row, recipients, "email", sent_at)

    async def _schedule_retry(self, session: AsyncSession, row: dict[str, Any], failure: SendFailure) -> None:
        retry_at = None if failure.permanent else next_retry_at(
            row["attempts"], self.settings.email_backoff_s, self.notifications.clock())
        log.warning("email not sent", extra={"message_id": row["id"], "attempts": row["attempts"],
                                             "error": failure.reason, "gave_up": retry_at is None})
        await repo.mark_message_failed_attempt(session, row["id"], row["claim_token"], failure.reason, retry_at)
