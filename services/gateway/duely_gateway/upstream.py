"""The one pooled HTTP client the gateway forwards with (aiohttp).

aiohttp rather than httpx: forwarding a small GET cost the gateway about 4 ms of CPU with
httpx's AsyncClient (its connection pool, anyio and stream layers on every request) and
far less with aiohttp's connector, which is what makes 500 requests/s fit on two cores.

The client forwards, it does not browse: no cookies kept (one client serves every
caller, and a portal session set for one must never go to the next), no redirects
followed, bodies relayed as the upstream encoded them, and no headers of its own
(User-Agent, Accept, Accept-Encoding): the upstream sees the caller's.
"""

from __future__ import annotations

import aiohttp

from duely_gateway.config import Settings

NO_HEADERS_OF_ITS_OWN = ("User-Agent", "Accept", "Accept-Encoding")


class ConnectionWatch:
    """Per request: did it need a new connection? (A failure on one is never retried: retrying.py.)"""

    __slots__ = ("opened_connection",)

    def __init__(self) -> None:
        self.opened_connection = False


async def _connection_opened(_session, context, _params) -> None:
    watch = context.trace_request_ctx
    if isinstance(watch, ConnectionWatch):
        watch.opened_connection = True


def client_session(settings: Settings) -> aiohttp.ClientSession:
    # `connect` bounds the wait for a pooled connection plus the connect itself; `sock_read` each read.
    timeout = aiohttp.ClientTimeout(total=None, connect=settings.upstream_timeout_s,
                                    sock_connect=settings.connect_timeout_s, sock_read=settings.upstream_timeout_s)
    tracing = aiohttp.TraceConfig()
    tracing.on_connection_create_start.append(_connection_opened)
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=500, limit_per_host=0, keepalive_timeout=15),
        timeout=timeout, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
        skip_auto_headers=NO_HEADERS_OF_ITS_OWN, trace_configs=[tracing])
    # aiohttp would resend an idempotent request once after any connection failure, a fresh
    # connection's too; retrying.py decides instead (never after a fresh connection failed,
    # and POSTs with an Idempotency-Key too). `_retry_connection` is in ClientSession.ATTRS.
    session._retry_connection = False
    return session
