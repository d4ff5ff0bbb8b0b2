"""SMTP delivery with aiosmtplib: one connection per batch of emails, opened again if the relay drops it."""

from __future__ import annotations

import contextlib
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, AsyncIterator

import aiosmtplib

from duely_notifications.settings import Settings


def build_email(row: dict[str, Any], sender: str) -> EmailMessage:
    """A multipart/alternative message; the Message-ID was derived from the idempotency key."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(row["to"])
    if row["cc"]:
        msg["Cc"] = ", ".join(row["cc"])
    msg["Subject"] = row["subject"]
    msg["Message-ID"] = row["message_id_header"]
    msg["Date"] = formatdate(usegmt=True)
    msg["X-Duely-Message-Id"] = row["id"]
    msg["X-Duely-Template"] = row["template"]
    msg.set_content(row["text_body"])
    msg.add_alternative(row["html_body"], subtype="html")
    return msg


class RelaySession:
    """The batch's connection to the relay: opened on first use, and again after `drop()`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: aiosmtplib.SMTP | None = None

    async def connected(self) -> aiosmtplib.SMTP:
        if self._smtp is None or not self._smtp.is_connected:
            s = self.settings
            smtp = aiosmtplib.SMTP(hostname=s.smtp_host, port=s.smtp_port, timeout=s.smtp_timeout,
                                   start_tls=s.smtp_starttls)
            self._smtp = smtp
            try:
                await smtp.connect()
                if s.smtp_username:
                    await smtp.login(s.smtp_username, s.smtp_password or "")
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

    async def send(self, smtp: aiosmtplib.SMTP, row: dict[str, Any]) -> None:
        """Raises aiosmtplib.SMTPException (or OSError) when the relay refuses it, ValueError/UnicodeError
        when the message or an address can't be encoded for it."""
        await smtp.send_message(build_email(row, self.settings.smtp_from),
                                recipients=list(row["to"]) + list(row["cc"]))
