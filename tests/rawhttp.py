"""A raw HTTP/1.1 client on one loopback connection, for what httpx will not send.

httpx removes dot segments and re-encodes some characters, so `/v1/../ops/...` can only be
sent as bytes; and a test that checks a connection survives an error must send its second
request on the very same socket. h11 speaks the protocol; nothing here is a fake.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urlsplit

import h11


@dataclass
class RawResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header_list(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name.lower()]

    def header(self, name: str) -> str | None:
        values = self.header_list(name)
        return values[0] if values else None

    def json(self):
        return json.loads(self.body)


class ServerClosed(ConnectionError):
    """The server closed the connection instead of answering."""


class RawConnection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host
        self.conn = h11.Connection(h11.CLIENT)

    @classmethod
    async def open(cls, base_url: str) -> "RawConnection":
        url = urlsplit(base_url)
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        return cls(reader, writer, url.netloc)

    async def request(self, method: str, target: bytes, headers: Iterable[tuple[str, str]] = (),
                      body: bytes | Iterable[bytes] = b"") -> RawResponse:
        """Send one request (chunked when `body` is an iterable of chunks) and read its response."""
        if self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE:
            self.conn.start_next_cycle()
        chunked = not isinstance(body, bytes)
        head = [("Host", self.host), *headers]
        head.append(("Transfer-Encoding", "chunked") if chunked else ("Content-Length", str(len(body))))
        self._write(h11.Request(method=method, target=target, headers=head))
        for chunk in (body if chunked else [body] if body else []):
            self._write(h11.Data(data=chunk))
        self._write(h11.EndOfMessage())
        await self.writer.drain()
        return await self._read_response()

    def _write(self, event) -> None:
        self.writer.write(self.conn.send(event))

    async def _read_response(self) -> RawResponse:
        status, headers, body = None, [], b""
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                data = await asyncio.wait_for(self.reader.read(65536), 10)
                if not data and status is None:
                    raise ServerClosed("the server closed the connection without answering")
                self.conn.receive_data(data)
            elif isinstance(event, h11.Response):
                status = event.status_code
                headers = [(k.decode().lower(), v.decode("latin-1")) for k, v in event.headers]
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                return RawResponse(status, headers, body)
            elif isinstance(event, h11.ConnectionClosed):
                raise ServerClosed("the server closed the connection without answering")

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass


async def raw_request(base_url: str, method: str, target: bytes, headers: Iterable[tuple[str, str]] = (),
                      body: bytes | Iterable[bytes] = b"") -> RawResponse:
    connection = await RawConnection.open(base_url)
    try:
        return await connection.request(method, target, headers, body)
    finally:
        await connection.close()
