"""Which request paths the gateway refuses, before it routes anything.

The gateway routes on the decoded path and forwards the raw bytes, and the next reader may
see them otherwise: httpx removes dot segments (`/v1/../internal/x` matches the /v1 route
here and arrives as `/internal/x`), other proxies decode `%2f` or turn `\\` into `/`. So a
path is forwarded only if every reader must agree on its segments: plain ASCII, no dot
segments, no empty segments, no backslash, no control character, and no percent-escape of
a character that structures a path (`/ \\ . %`). The platform's private prefixes are never
forwarded, whatever the route table says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from duely_runtime.errors import error_body

NEVER_FORWARDED = frozenset({"internal", "ops"})  # first path segments, compared case-insensitively
# Paths under a private prefix that the gateway answers itself, by method (its ops home, ops_home.py).
GATEWAY_OWN = {"/ops": frozenset({"GET", "HEAD"}), "/ops/sign_in": frozenset({"GET", "POST"}),
               "/ops/sign_out": frozenset({"POST"})}
STRUCTURAL = frozenset(b"/\\.%")
ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})?")


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str

    def response(self) -> JSONResponse:
        return JSONResponse(error_body("invalid_request_error", self.code, self.message), status_code=self.status)


def _invalid(reason: str) -> Refusal:
    return Refusal(400, "path_invalid", f"The request path {reason}.")


def _is_control(char: str) -> bool:
    return ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F


def check(raw_path: bytes) -> Refusal | None:
    """Why the gateway must not forward this path (the bytes of the request target before `?`), or None."""
    try:
        text = raw_path.decode("ascii")
    except UnicodeDecodeError:
        return _invalid("must be ASCII; percent-encode other characters")
    if not text.startswith("/"):
        return _invalid("must start with '/'")
    if "\\" in text:
        return _invalid("must not contain a backslash")
    if any(_is_control(c) or c == " " for c in text):
        return _invalid("must not contain spaces or control characters")
    for escape in ESCAPE.finditer(text):
        if escape.group(1) is None:
            return _invalid("has a '%' that does not start a percent-escape")
        byte = int(escape.group(1), 16)
        if byte in STRUCTURAL:
            return _invalid("must not percent-encode '/', '\\', '.' or '%'")
        if byte < 0x20 or byte == 0x7F:
            return _invalid("must not contain control characters")
    try:
        decoded = unquote(text, errors="strict")
    except UnicodeDecodeError:
        return _invalid("must percent-encode UTF-8 only")
    if any(_is_control(c) for c in decoded):
        return _invalid("must not contain control characters")
    segments = decoded.split("/")[1:]
    if any(s in (".", "..") for s in segments):
        return _invalid("must not contain '.' or '..' segments")
    if "" in segments[:-1]:
        return _invalid("must not contain empty segments ('//')")
    if segments[0].lower() in NEVER_FORWARDED:
        return Refusal(404, "route_not_found", f"Unrecognized request URL ({decoded}).")
    return None


class PathGuard:
    """ASGI middleware: answer a refused path before routing (so for any method, and for the gateway's own routes).
    `own` lists exact paths the gateway serves itself under a private prefix (its ops home), never forwarded."""

    def __init__(self, app: ASGIApp, own: dict[str, frozenset[str]] | None = None) -> None:
        self.app = app
        self.own = GATEWAY_OWN if own is None else own

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = scope.get("raw_path") or scope["path"].encode()
            own = scope["method"] in self.own.get(raw.decode("latin-1"), ()) or (
                scope["method"] in ("GET", "HEAD") and raw.startswith(b"/ops/static/")
                and check(raw.replace(b"/ops/", b"/x/", 1)) is None)
            refusal = None if own else check(raw)
            if refusal:
                await refusal.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)
