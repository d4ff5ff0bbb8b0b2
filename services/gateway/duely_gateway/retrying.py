"""Sending a request upstream, and once more when the pooled connection it went out on was dead.

An upstream may close an idle keep-alive connection just as the gateway reuses it (a
restart, its keep-alive timeout, a crash); the request then fails before any answer with
ServerDisconnectedError or a connection reset (ClientOSError). Sending it again on a new
connection is safe only if running it twice is: GET, HEAD, OPTIONS, PUT, DELETE, or a POST
carrying an Idempotency-Key (the service answers a repeat with its first response). It is
sent again once, and never after a failure on a connection opened for it: that upstream is
failing, not stale.
"""

from __future__ import annotations

import logging

import aiohttp
from prometheus_client import Counter
from yarl import URL

from duely_gateway.upstream import ConnectionWatch

log = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

RESENT = Counter("duely_gateway_requests_resent_total",
                 "Requests sent again because the upstream had closed the pooled connection")


def may_resend(method: str, headers) -> bool:
    return method in IDEMPOTENT_METHODS or (method == "POST" and bool(headers.get("idempotency-key")))


def _is_stale_connection(exc: Exception) -> bool:
    # A refused or timed-out connect is the upstream being down, not a stale pooled connection.
    return (isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError))
            and not isinstance(exc, (aiohttp.ClientConnectorError, aiohttp.ServerTimeoutError)))


async def send(client: aiohttp.ClientSession, method: str, url: URL, headers: list[tuple[str, str]],
               body: bytes, *, retriable: bool) -> aiohttp.ClientResponse:
    """The upstream's response, its body not read yet (the caller reads or releases it)."""
    watch = ConnectionWatch()
    try:
        return await client.request(method, url, headers=headers, data=body or None, allow_redirects=False,
                                    trace_request_ctx=watch)
    except aiohttp.ClientError as exc:
        if not (retriable and _is_stale_connection(exc)) or watch.opened_connection:
            raise
        log.info("upstream closed a pooled connection; sending the request again",
                 extra={"method": method, "upstream": url.host, "error": repr(exc)})
    RESENT.inc()
    return await client.request(method, url, headers=headers, data=body or None, allow_redirects=False)
