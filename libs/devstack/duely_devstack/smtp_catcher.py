"""Local SMTP catcher: accepts every message on 127.0.0.1 and stores it in a Maildir.

Deduplicates by ``Message-ID``: the notification service derives Message-IDs from
idempotency keys, so a resend after a crash must not look like a second email. A
duplicate is still accepted (250, like a real relay would) but not stored again. The
index of seen ids is rebuilt from the Maildir at start, so dedup survives restarts.

Each stored message is kept byte-for-byte as received, with trace headers prepended
(as a delivery agent would): ``Return-Path`` (MAIL FROM) and one ``Delivered-To`` per
RCPT TO, so tests can see envelope-only (BCC-like) recipients.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import mailbox
import signal
from email.parser import BytesHeaderParser
from email.policy import default
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger("duely_devstack.smtp_catcher")


def _message_id(raw: bytes) -> str | None:
    """Normalised Message-ID of a raw message, or None when it has none."""
    value = BytesHeaderParser(policy=default).parsebytes(raw).get("Message-ID")
    value = str(value).strip() if value is not None else ""
    return value or None


class MaildirHandler:
    """aiosmtpd handler storing messages in a Maildir, once per Message-ID."""

    def __init__(self, maildir: str | Path) -> None:
        path = Path(maildir)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.box = mailbox.Maildir(path, create=True)
        self.seen: set[str] = set()
        for key in self.box.keys():
            with self.box.get_file(key) as f:
                mid = _message_id(f.read())
            if mid:
                self.seen.add(mid)

    def deliver(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> bool:
        """Store one message; False when its Message-ID was already stored.

        No awaits in here: on the single event loop, check-then-add is atomic.
        """
        mid = _message_id(content)
        if mid is not None and mid in self.seen:
            return False
        trace = [f"Return-Path: <{mail_from}>"] + [f"Delivered-To: {rcpt}" for rcpt in rcpt_tos]
        self.box.add("\r\n".join(trace).encode() + b"\r\n" + content)
        if mid is not None:
            self.seen.add(mid)
        return True

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        stored = self.deliver(envelope.mail_from or "", list(envelope.rcpt_tos), envelope.original_content or envelope.content)
        log.info("%s message from %s to %s", "stored" if stored else "duplicate, skipped", envelope.mail_from, envelope.rcpt_tos)
        return "250 Message accepted for delivery"


async def serve(port: int, maildir: str | Path, host: str = "127.0.0.1") -> None:
    """Run the catcher until SIGTERM/SIGINT."""
    handler = MaildirHandler(maildir)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="duely-smtp-catcher", enable_SMTPUTF8=True), host, port
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("SMTP catcher on %s:%d storing into %s", host, port, maildir)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """`python -m duely_devstack.smtp_catcher --port 1025 --maildir var/mail`."""
    parser = argparse.ArgumentParser(description="Local SMTP catcher storing into a Maildir.")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--maildir", default="var/mail")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(serve(args.port, args.maildir))


if __name__ == "__main__":
    main()
