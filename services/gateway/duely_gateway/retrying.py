"""Sending a request upstream, and once more when the pooled connection it went out on was dead.

An upstream may close an idle keep-alive connection just as the gateway reuses it (a
restart, its keep-alive timeout, a crash); the request then fails before any answer with
RemoteProtocolError, ReadError or WriteError. Sending it again on a new connection is safe
only if running it twice is: GET, HEAD, OPTIONS, PUT, DELETE, or a POST carrying an
Idempotency-Key (the service answers a repeat with its first response). It is sent again
once, and never after a failure on a connection opened for it: that upstream is failing,
not stale.
"""

from __future__ import annotations

import logging

import httpx
from prometheus_client import Counter

log = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
STALE_CONNECTION_ERRORS = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)

RESENT = Counter("duely_gateway_requests_resent_total",
                 "Requests sent again because the upstream had closed the pooled connection")


def may_resend(method: str, headers) -> bool:
    return method in IDEMPOTENT_METHODS or (method == "POST" and bool(headers.get("idempotency-key")))


class ConnectionWatch:
    """An httpcore trace hook that notes whether the request needed a new connection."""

    def __init__(self) -> None:
        self.opened_connection = False

    async def __call__(self, event: str, info: dict) -> None:
        if event.startswith("connection.connect_"):
            self.opened_connection = True


async def send(client: httpx.AsyncClient, method: str, url: httpx.URL, headers: list[tuple[str, str]],
               body: bytes, *, retriable: bool) -> httpx.Response:
    """The upstream's response, streamed (the caller closes it)."""
    watch = ConnectionWatch()
    try:
        return await client.send(client.build_request(method, url, headers=headers, content=body,
                                                      extensions={"trace": watch}), stream=True)
    except STALE_CONNECTION_ERRORS as exc:
        if not retriable or watch.opened_connection:
            raise
        log.info("upstream closed a pooled connection; sending the request again",
                 extra={"method": method, "upstream": url.host, "error": repr(exc)})
    RESENT.inc()
    return await client.send(client.build_request(method, url, headers=headers, content=body), stream=True)
