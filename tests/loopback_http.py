"""Raw HTTP/1.1 servers on 127.0.0.1 for outbound-call tests: scripted answers, slow drips, TLS.

A handler gets the request head (and the body, read by Content-Length) and writes what it wants,
byte by byte if it likes; `server.requests` keeps every request head in arrival order.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager

Handler = Callable[[bytes, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def http_server(handler: Handler, ssl_context: ssl.SSLContext | None = None):
    """async with http_server(handler) as (server, port): ..."""
    requests: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            for line in head.lower().split(b"\r\n"):
                if line.startswith(b"content-length:"):
                    await reader.readexactly(int(line.split(b":", 1)[1]))
            requests.append(head)
            await handler(head, writer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=ssl_context)
    server.requests = requests
    try:
        yield server, server.sockets[0].getsockname()[1]
    finally:
        server.close()


def respond(status: str, body: bytes = b"", headers: str = "") -> Handler:
    """A complete answer at once: respond("200 OK", b"hi", "content-type: text/plain\\r\\n")."""
    async def handler(_head: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(f"HTTP/1.1 {status}\r\ncontent-length: {len(body)}\r\n{headers}connection: close\r\n\r\n"
                     .encode() + body)
    return handler


def drip(interval_s: float = 1.0, *, head_too: bool = False) -> Handler:
    """A slow endpoint: one byte every `interval_s` (of the body, or of the status line and headers
    too), so no single read ever waits long while the whole answer takes minutes."""
    async def handler(_head: bytes, writer: asyncio.StreamWriter) -> None:
        response = b"HTTP/1.1 200 OK\r\ncontent-length: 120\r\n\r\n" + b"." * 120
        start = 0 if head_too else response.index(b"\r\n\r\n") + 4
        writer.write(response[:start])
        for index in range(start, len(response)):
            writer.write(response[index:index + 1])
            await writer.drain()
            await asyncio.sleep(interval_s)
    return handler
