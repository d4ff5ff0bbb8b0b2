"""What every HTTP server of the platform (each service and the gateway) does before and after
its handlers: one request-body limit, crashes that answer instead of dropping the connection,
and HTTP errors (404, 405) in the one error shape with the headers they need.

Plain ASGI middleware rather than `@app.middleware("http")`: they must act on the raw
`receive`/`send` (count body bytes as they arrive; answer after an exception), which
Starlette's BaseHTTPMiddleware hides.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from duely_runtime.errors import error_body

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 1_048_576  # 1 MiB; DUELY_MAX_BODY_BYTES
# The methods an Allow header may list, in the order it lists them.
KNOWN_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def request_too_large(limit: int) -> JSONResponse:
    return JSONResponse(error_body("invalid_request_error", "request_too_large",
                                   f"The request body is larger than the limit of {limit} bytes."), status_code=413)


def internal_error() -> JSONResponse:
    return JSONResponse(error_body("api_error", "internal_error", "An unexpected error occurred."), status_code=500)


class BodyLimit:
    """Refuse a request body over `limit` bytes with a 413, before any handler or middleware inside reads it.

    A declared Content-Length over the limit is answered without reading a byte. Otherwise
    (chunked, or a length that lies) the body is read here, counting as it streams, and
    stops at the first byte over; a body within the limit is handed on whole. Either way
    the server drops the unread rest and the connection stays usable.
    """

    def __init__(self, app: ASGIApp, limit: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await request_too_large(self.limit)(scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see it
                await self.app(scope, _replay([], message, receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await request_too_large(self.limit)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(chunks, None, receive), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length before we run
    return None


def _replay(chunks: list[bytes], pending: Message | None, receive: Receive) -> Receive:
    """A `receive` that hands out the buffered body first, then the server's own messages."""
    first: list[Message] = [pending] if pending else [
        {"type": "http.request", "body": b"".join(chunks), "more_body": False}]

    async def replay() -> Message:
        if first:
            return first.pop()
        return await receive()  # after the body: wait for a disconnect, as the server would
    return replay


class CatchUnhandled:
    """Answer an exception from inside with the one-shape 500, and do not re-raise it.

    Starlette's ServerErrorMiddleware answers 500 and then re-raises so that the server logs
    it; uvicorn then closes the keep-alive connection, and a proxy that pooled it fails the
    next, unrelated request. Logged here instead, with the request it broke.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if started:
                raise  # half a response is out: only closing the connection tells the client
            log.exception("unhandled error", extra={"method": scope["method"], "path": scope["path"]})
            await internal_error()(scope, receive, send)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route accepts at this path (list and create are often two routes).

    Asked of the routes themselves, one method at a time, because FastAPI nests included
    routers and no single route knows all the methods of a path.
    """
    routes = request.app.router.routes
    return [method for method in KNOWN_METHODS
            if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)]


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """404, 405 and other HTTP errors in the one error shape, keeping their headers (Allow on a 405)."""
    code = {404: "route_not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request)) or headers.get("Allow", "")
    return JSONResponse(error_body("invalid_request_error", code, str(exc.detail)), status_code=exc.status_code,
                        headers=headers)


def install_http_errors(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, http_error)


def install_body_limit(app: FastAPI, limit: int) -> None:
    app.add_middleware(BodyLimit, limit=limit)


def install_crash_guard(app: FastAPI) -> None:
    """Each call wraps everything installed so far: call it first (innermost) and last (outermost)."""
    app.add_middleware(CatchUnhandled)
