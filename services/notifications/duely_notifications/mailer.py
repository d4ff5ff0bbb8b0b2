"""SMTP delivery with aiosmtplib: one connection per batch of emails."""

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


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[aiosmtplib.SMTP]:
        s = self.settings
        smtp = aiosmtplib.SMTP(hostname=s.smtp_host, port=s.smtp_port, timeout=s.smtp_timeout,
                               start_tls=s.smtp_starttls)
        await smtp.connect()
        try:
            if s.smtp_username:
                await smtp.login(s.smtp_username, s.smtp_password or "")
            yield smtp
        finally:
            with contextlib.suppress(Exception):
                await smtp.quit()

    async def send(self, smtp: aiosmtplib.SMTP, row: dict[str, Any]) -> None:
        """Raises aiosmtplib.SMTPException (or OSError) when the relay refuses it."""
        await smtp.send_message(build_email(row, self.settings.smtp_from),
                                recipients=list(row["to"]) + list(row["cc"]))
