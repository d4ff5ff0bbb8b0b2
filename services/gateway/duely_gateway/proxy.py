"""Forwarding one request to its upstream and relaying the answer unchanged."""

from __future__ import annotations

import logging
import time
import uuid

import aiohttp
from fastapi import Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from prometheus_client import Counter, Histogram
from starlette.background import BackgroundTask
from yarl import URL

from duely_runtime import context
from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.errors import error_body
from duely_gateway import retrying
from duely_gateway.routes import service_for
from duely_gateway.target import upstream_target

log = logging.getLogger(__name__)

# RFC 9110 §7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
    "trailer", "transfer-encoding", "upgrade",
})
CORRELATION_HEADER = "x-correlation-id"
# Recomputed or replaced by the gateway rather than copied.
REWRITTEN = frozenset({"host", "content-length", CORRELATION_HEADER,
                       "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"})
# Only our own services talk with the internal secret; from outside it is never passed on.
NEVER_FORWARDED = frozenset({INTERNAL_HEADER.lower()})
# The gateway's own server writes these on every response: the upstream's copies would repeat them.
OWN_RESPONSE_HEADERS = frozenset({"date", "server"})
# A body up to this size is read whole and sent in one piece (most API answers); a larger one, or one
# of unknown length, is streamed so the gateway never holds a big PDF in memory.
WHOLE_BODY_MAX_BYTES = 256 * 1024
STREAM_CHUNK_BYTES = 64 * 1024

REQUESTS = Counter("duely_gateway_requests_total", "Requests forwarded", ["service", "status"])
LATENCY = Histogram("duely_gateway_request_seconds", "Time to the upstream's response headers", ["service"])


def route_not_found(path: str) -> JSONResponse:
    return JSONResponse(error_body("invalid_request_error", "route_not_found",
                                   f"Unrecognized request URL ({path})."), status_code=404)


def upstream_failed(service: str, status: int = 502, code: str = "service_unavailable") -> JSONResponse:
    if status == 504:
        message = (f"The {service} service did not answer in time; the request may have been applied. "
                   "Retry with the same Idempotency-Key.")
    else:
        message = f"The {service} service is unavailable; please retry shortly."
    return JSONResponse(error_body("api_error", code, message), status_code=status, headers={"Retry-After": "1"})


def _connection_listed(headers) -> set[str]:
    """Headers named in Connection are hop-by-hop too."""
    return {h.strip().lower() for h in headers.get("connection", "").split(",") if h.strip()}


def request_headers(request: Request, correlation_id: str) -> list[tuple[str, str]]:
    drop = HOP_BY_HOP | REWRITTEN | NEVER_FORWARDED | _connection_listed(request.headers)
    headers = [(k, v) for k, v in request.headers.items() if k.lower() not in drop]
    client = request.client.host if request.client else ""
    prior = request.headers.get("x-forwarded-for")
    headers += [
        (CORRELATION_HEADER, correlation_id),
        ("x-forwarded-for", f"{prior}, {client}" if prior else client),
        ("x-forwarded-host", request.headers.get("host", "")),
        ("x-forwarded-proto", request.url.scheme),
    ]
    return headers


def response_headers(upstream: aiohttp.ClientResponse) -> list[tuple[bytes, bytes]]:
    # Raw bytes are relayed, so content-length and content-encoding stay true; repeated
    # headers (set-cookie) are kept one by one.
    drop = HOP_BY_HOP | OWN_RESPONSE_HEADERS | _connection_listed(upstream.headers)
    return [(k, v) for k, v in upstream.raw_headers if k.decode("latin-1").lower() not in drop]


def _whole_body_fits(upstream: aiohttp.ClientResponse) -> bool:
    return upstream.content_length is not None and upstream.content_length <= WHOLE_BODY_MAX_BYTES


async def forward(request: Request, client: aiohttp.ClientSession, upstreams: dict[str, str]) -> Response:
    service = service_for(request.url.path)
    if service is None:
        return route_not_found(request.url.path)
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    target = upstream_target(raw_path, request.scope.get("query_string", b""))
    if target is None:
        # PathGuard let it through, but the upstream would be sent another path than the one that was routed.
        return JSONResponse(error_body("invalid_request_error", "path_invalid",
                                       "The request path cannot be forwarded as it was sent."), status_code=400)
    url = URL(upstreams[service] + target.decode("ascii"), encoded=True)
    correlation_id = request.headers.get(CORRELATION_HEADER) or str(uuid.uuid4())
    with context.bound(correlation_id, None):
        headers, body = request_headers(request, correlation_id), await request.body()
        started = time.perf_counter()
        try:
            upstream = await retrying.send(client, request.method, url, headers, body,
                                           retriable=retrying.may_resend(request.method, request.headers))
            # A small body is read here, so a failure while reading it is still answered in the error shape.
            whole = await upstream.read() if _whole_body_fits(upstream) else None
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            return _failed(service, 502, "service_unavailable", exc, correlation_id)
        except TimeoutError as exc:  # it may have acted: say so, and let the client retry
            return _failed(service, 504, "upstream_timeout", exc, correlation_id)
        except aiohttp.ClientError as exc:
            return _failed(service, 502, "service_unavailable", exc, correlation_id)
    LATENCY.labels(service).observe(time.perf_counter() - started)
    REQUESTS.labels(service, upstream.status).inc()
    if whole is not None:
        response = Response(whole, status_code=upstream.status)
    else:
        response = StreamingResponse(upstream.content.iter_chunked(STREAM_CHUNK_BYTES), status_code=upstream.status,
                                     background=BackgroundTask(upstream.release))
    response.raw_headers = response_headers(upstream)
    return response


def _failed(service: str, status: int, code: str, exc: Exception, correlation_id: str) -> JSONResponse:
    log.warning("upstream failed", extra={"upstream": service, "error": repr(exc)})
    REQUESTS.labels(service, status).inc()
    response = upstream_failed(service, status, code)
    response.headers["X-Correlation-Id"] = correlation_id
    return response


