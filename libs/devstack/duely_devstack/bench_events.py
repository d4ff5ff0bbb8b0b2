"""What the platform tells the bench back: `invoice.paid` webhooks and receipt emails, stamped on arrival.

The webhook endpoint is a bare asyncio HTTP/1.1 server rather than uvicorn: the bench shares two
cores with the services it measures, and a framework per delivery would take their CPU. Receipts
are read from the SMTP catcher's Maildir; a message's key begins with its delivery time, which is
the time used (so a slow poll does not stretch the figure).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from email.parser import BytesHeaderParser
from email.policy import default
from pathlib import Path

RECEIPT_SUBJECT = re.compile(r"^Receipt for invoice (\S+) from ")
_KEY_TIME = re.compile(r"^(\d+)\.M(\d+)")


class PlatformEvents:
    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        self.paid: dict[str, float] = {}      # invoice id → perf_counter of its first invoice.paid webhook
        self.receipts: dict[str, float] = {}  # invoice number → perf_counter of its receipt's delivery
        self.webhooks = 0
        self._seen_files: set[str] = set()
        self._wall_minus_perf = time.time() - time.perf_counter()
        self._server: asyncio.Server | None = None
        self._poller: asyncio.Task | None = None

    async def start(self, port: int) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self._poller = asyncio.create_task(self._poll_maildir())

    async def stop(self) -> None:
        if self._poller:
            self._poller.cancel()
        if self._server:
            self._server.close()

    # -- webhooks -----------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length) if length else b""
                self._delivered(body)
                writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    def _delivered(self, body: bytes) -> None:
        now = time.perf_counter()
        self.webhooks += 1
        try:
            event = json.loads(body)
        except ValueError:
            return
        if event.get("type") == "invoice.paid":
            self.paid.setdefault(event["data"]["invoice"]["id"], now)  # a redelivery keeps the first time

    # -- receipts -------------------------------------------------------------------------

    async def _poll_maildir(self) -> None:
        while True:
            await asyncio.to_thread(self.read_new_mail)
            await asyncio.sleep(0.2)

    def read_new_mail(self) -> None:
        for folder in ("new", "cur"):
            try:
                names = os.listdir(self.maildir / folder)
            except FileNotFoundError:
                continue
            for name in names:
                key = name.split(":", 1)[0]
                if key in self._seen_files:
                    continue
                self._seen_files.add(key)
                self._read_one(self.maildir / folder / name, key)

    def _read_one(self, path: Path, key: str) -> None:
        try:
            with open(path, "rb") as f:
                headers = BytesHeaderParser(policy=default).parsebytes(f.read(16384))
        except FileNotFoundError:  # moved from new/ to cur/ meanwhile: seen there next poll
            self._seen_files.discard(key)
            return
        match = RECEIPT_SUBJECT.match(str(headers.get("Subject", "")))
        stamp = _KEY_TIME.match(key)
        if match and stamp:
            wall = int(stamp.group(1)) + int(stamp.group(2)) / 1e6
            self.receipts.setdefault(match.group(1), wall - self._wall_minus_perf)
