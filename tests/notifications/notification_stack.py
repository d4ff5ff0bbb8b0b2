"""Test helpers for the notifications suite: the SMTP catcher subprocess and its port range."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from duely_devstack.maildir import read_messages
from duely_devstack.net import free_port, wait_for_port

PORTS = (32000, 32999)  # this suite's range (payments uses 31000-31999)


class SmtpCatcher:
    """`python -m duely_devstack.smtp_catcher` as a real subprocess."""

    def __init__(self, maildir: Path, port: int | None = None) -> None:
        self.maildir = maildir
        self.port = port or free_port(*PORTS)
        self.log = tempfile.TemporaryFile()
        self.proc: subprocess.Popen | None = None

    async def start(self) -> "SmtpCatcher":
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "duely_devstack.smtp_catcher", "--port", str(self.port),
             "--maildir", str(self.maildir)], stdout=self.log, stderr=subprocess.STDOUT)
        await wait_for_port("127.0.0.1", self.port, timeout=15)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def messages(self, **header_filters: str):
        """Stored messages whose headers contain the given substrings (e.g. subject="INV-1")."""
        found = read_messages(self.maildir)
        for name, value in header_filters.items():
            found = [m for m in found if value in str(m.get(name.replace("_", "-"), ""))]
        return found
