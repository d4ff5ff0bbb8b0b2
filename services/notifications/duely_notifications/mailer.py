"""SMTP delivery with aiosmtplib: the sender keeps a few connections per batch (SMTP_CONNECTIONS), each opened
again if the relay drops it."""

from __future__ import annotations

import contextlib
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import AsyncIterator

import aiosmtplib

from duely_notifications.composition import Outgoing
from duely_notifications.config import Settings


def build_email(outgoing: Outgoing) -> EmailMessage:
    """multipart/alternative (plain + HTML), inside multipart/mixed when the PDF is attached; the
    Message-ID was derived from the idempotency key."""
    row = outgoing.row
    msg = EmailMessage()
    msg["From"] = outgoing.sender
    msg["To"] = ", ".join(row["to"])
    if row["cc"]:
        msg["Cc"] = ", ".join(row["cc"])
    if outgoing.reply_to:
        msg["Reply-To"] = outgoing.reply_to
    msg["Subject"] = outgoing.subject
    msg["Message-ID"] = row["message_id_header"]
    msg["Date"] = formatdate(usegmt=True)
    msg["X-Duely-Message-Id"] = row["id"]
    msg["X-Duely-Template"] = row["template"]
    msg.set_content(outgoing.text)
    msg.add_alternative(outgoing.html, subtype="html")
    if outgoing.attachment is not None:
        msg.add_attachment(outgoing.attachment.content, maintype="application", subtype="pdf",
                           filename=outgoing.attachment.filename)
    return msg


class RelaySession:
    """The batch's connection to the relay: opened on first use, and again after `drop()`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: aiosmtplib.SMTP | None = None

    async def connected(self) -> aiosmtplib.SMTP:
        if self._smtp is None or not self._smtp.is_connected:
            config = self.settings
            smtp = aiosmtplib.SMTP(hostname=config.smtp_host, port=config.smtp_port, timeout=config.smtp_timeout,
                                   start_tls=config.smtp_starttls)
            self._smtp = smtp
            try:
                await smtp.connect()
                if config.smtp_username:
                    await smtp.login(config.smtp_username, config.smtp_password or "")
            except BaseException:
                self.drop()
                raise
        return self._smtp

    def drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    async def close(self) -> None:
        if self._smtp is not None and self._smtp.is_connected:
            with contextlib.suppress(Exception):
                await self._smtp.quit()
        self.drop()


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[RelaySession]:
        relay = RelaySession(self.settings)
        try:
            yield relay
        finally:
            await relay.close()

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[aiosmtplib.SMTP]:
        """One connection (for one-off sends and tests)."""
        async with self.session() as relay:
            yield await relay.connected()

    async def send(self, smtp: aiosmtplib.SMTP, outgoing: Outgoing) -> str:
        """Raises aiosmtplib.SMTPException (or OSError) when the relay refuses it, ValueError/UnicodeError
        when the message or an address can't be encoded for it. The envelope sender (MAIL FROM) is the
        platform's SMTP_FROM address whatever name the From header shows. Returns the relay's reply
        ("250 ...": the delivery log's provider_response)."""
        row = outgoing.row
        _, reply = await smtp.send_message(build_email(outgoing), sender=parseaddr(self.settings.smtp_from)[1],
                                recipients=list(row["to"]) + list(row["cc"]))
        return f"250 {reply}"  # aiosmtplib raises for any other answer to DATA and returns only the text
