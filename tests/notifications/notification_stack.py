"""Test helpers for the notifications suite: the SMTP and SMS catcher subprocesses, an in-process relay, the
port range."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
from email.parser import BytesHeaderParser
from email.policy import default
from pathlib import Path

from aiosmtpd.smtp import SMTP

from duely_devstack.maildir import read_messages
from duely_devstack.net import free_port, wait_for_port

PORTS = (29000, 29999)  # this suite's range (payments uses 31000-31999)


class CatcherProcess:
    """A devstack catcher (`python -m <module> --port N <args>`) as a real subprocess on this suite's ports."""

    module = ""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port(*PORTS)
        self.log = tempfile.TemporaryFile()
        self.proc: subprocess.Popen | None = None

    def arguments(self) -> list[str]:
        return []

    async def start(self):
        self.proc = subprocess.Popen([sys.executable, "-m", self.module, "--port", str(self.port), *self.arguments()],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        await wait_for_port("127.0.0.1", self.port, timeout=15)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


class SmtpCatcher(CatcherProcess):
    """`python -m duely_devstack.smtp_catcher`, storing a Maildir."""

    module = "duely_devstack.smtp_catcher"

    def __init__(self, maildir: Path, port: int | None = None) -> None:
        super().__init__(port)
        self.maildir = maildir

    def arguments(self) -> list[str]:
        return ["--maildir", str(self.maildir)]

    def messages(self, **header_filters: str):
        """Stored messages whose headers contain the given substrings (e.g. subject="INV-1")."""
        found = read_messages(self.maildir)
        for name, value in header_filters.items():
            found = [m for m in found if value in str(m.get(name.replace("_", "-"), ""))]
        return found


class SmsCatcher(CatcherProcess):
    """`python -m duely_devstack.sms_catcher` (Twilio's Messages API, a JSON file per SMS)."""

    module = "duely_devstack.sms_catcher"
    account_sid = "ACtest00000000000000000000000000"
    auth_token = "test-token"
    sender = "+15005550006"

    def __init__(self, directory: Path, port: int | None = None) -> None:
        super().__init__(port)
        self.dir = directory

    def arguments(self) -> list[str]:
        return ["--dir", str(self.dir)]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self) -> dict:
        """What notifications needs to send through it (its production Twilio driver)."""
        return {"sms_provider": "twilio", "twilio_base_url": self.url, "twilio_account_sid": self.account_sid,
                "twilio_auth_token": self.auth_token, "twilio_from": self.sender}

    def messages(self, to: str | None = None) -> list[dict]:
        """The stored files (oldest first), read from the directory as a person would."""
        found = [json.loads(path.read_text()) for path in sorted(self.dir.glob("*.json"))]
        return [m for m in found if to is None or m["to"] == to]


class RecordingRelay:
    """A real SMTP server (aiosmtpd) inside the test process on 127.0.0.1 that keeps what it receives.

    `smtputf8=False` behaves like the many relays that can't take non-ASCII addresses;
    `data_delay_s` makes it slow to accept each message (a loaded or distant relay).
    """

    def __init__(self, *, smtputf8: bool = True, data_delay_s: float = 0.0) -> None:
        self.smtputf8 = smtputf8
        self.data_delay_s = data_delay_s
        self.received: list[tuple[str, list[str], str | None]] = []  # (MAIL FROM, RCPT TOs, Message-ID)
        self.connections: set[tuple[str, int]] = set()  # the client ends that delivered a message
        self.port = 0
        self._server = None

    async def handle_DATA(self, server, session, envelope) -> str:
        self.connections.add(session.peer)
        await asyncio.sleep(self.data_delay_s)
        headers = BytesHeaderParser(policy=default).parsebytes(envelope.original_content or envelope.content)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), headers.get("Message-ID")))
        return "250 Message accepted for delivery"

    async def start(self) -> "RecordingRelay":
        self._server = await asyncio.get_running_loop().create_server(
            lambda: SMTP(self, hostname="test-relay", enable_SMTPUTF8=self.smtputf8), "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        self._server.close()
