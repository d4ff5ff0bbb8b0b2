"""Who may use /ops, on every service and on the gateway's ops home.

- Any mode: a caller sending the internal secret in `X-Duely-Internal-Secret` (scripts, the gateway).
- Embedded mode: a browser or curl on the same machine talking to the port directly (a loopback peer,
  no forwarding headers, a Host that names this machine: DNS rebinding cannot get in).
- Production: an operator who signed in at `/ops/sign_in` by pasting the internal secret. The cookie
  holds `expiry.HMAC(secret, expiry)`, never the secret; it is HttpOnly, SameSite=Strict and Secure,
  and dies after 8 hours (or at once when the secret is rotated).

Dead letters hold customer data and replay runs handlers, so nothing else gets in. A POST must come
from the page itself (same origin), so another site cannot make an operator's browser replay.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from urllib.parse import urlsplit

from fastapi import Request

from duely_runtime.auth import INTERNAL_HEADER, is_internal_secret
from duely_runtime.config import EMBEDDED_SECRET
from duely_runtime.errors import ApiError

FORWARDING_HEADERS = ("x-forwarded-for", "x-forwarded-host", "forwarded", "x-real-ip")
COOKIE = "duely_ops"
COOKIE_PATH = "/ops"
SESSION_S = 8 * 3600


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _names_this_machine(host_header: str) -> bool:
    """The browser asked for localhost itself, not for a name that an attacker re-pointed at
    127.0.0.1 (DNS rebinding would otherwise let a web page read /ops)."""
    host = urlsplit(f"//{host_header}").hostname or ""
    return host == "localhost" or _is_loopback(host)


def same_origin(request: Request) -> bool:
    """A form posted from another site (CSRF against an operator's browser) carries its Origin."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True  # curl and other non-browser clients
    return urlsplit(origin).netloc == request.headers.get("host")


def direct_local(request: Request) -> bool:
    return (_is_loopback(request.client.host if request.client else None)
            and not any(h in request.headers for h in FORWARDING_HEADERS)
            and _names_this_machine(request.headers.get("host", "")))


def _mac(secret: str, expiry: int) -> str:
    return hmac.new(secret.encode(), f"duely-ops-session:{expiry}".encode(), hashlib.sha256).hexdigest()


def session_cookie(secret: str, now: float | None = None) -> str:
    expiry = int((now if now is not None else time.time()) + SESSION_S)
    return f"{expiry}.{_mac(secret, expiry)}"


def valid_session(value: str, secret: str, now: float | None = None) -> bool:
    expiry_text, _, mac = value.partition(".")
    if not expiry_text.isdigit() or len(expiry_text) > 12:
        return False
    expiry = int(expiry_text)
    if expiry < (now if now is not None else time.time()):
        return False
    return hmac.compare_digest(mac.encode("utf-8", "surrogateescape"), _mac(secret, expiry).encode())


class OpsGuard:
    """`allows(request)` says whether the caller is an operator; the instance is a FastAPI dependency."""

    def __init__(self, settings) -> None:
        self.settings = settings

    @property
    def embedded(self) -> bool:
        return self.settings.mode == "embedded"

    @property
    def usable_secret(self) -> bool:
        """Production with the embedded default secret (a process without check_production_secrets, such as
        the gateway, started misconfigured): the secret is public, so it lets nobody in."""
        return self.embedded or not self.settings.internal_secret.startswith(EMBEDDED_SECRET)

    def operator(self, request: Request) -> bool:
        if not self.usable_secret:
            return False
        if is_internal_secret(request.headers.get(INTERNAL_HEADER, ""), self.settings.internal_secret):
            return True
        if self.embedded:
            return direct_local(request)
        return valid_session(request.cookies.get(COOKIE, ""), self.settings.internal_secret)

    def allows(self, request: Request) -> bool:
        if not self.operator(request):
            return False
        return request.method != "POST" or same_origin(request)

    async def __call__(self, request: Request) -> None:
        if self.operator(request):
            if request.method == "POST" and not same_origin(request):
                raise ApiError(403, "forbidden", "Cross-site requests to /ops are refused.")
            return
        if self.embedded:
            raise ApiError(403, "forbidden", "Ops endpoint: send the internal secret header.")
        raise ApiError(403, "forbidden",
                       "Ops endpoint: send the internal secret header, or sign in at /ops/sign_in.")


def ops_guard(settings) -> OpsGuard:
    """Dependency (kept under its old name): the internal secret, loopback (embedded) or a signed-in operator."""
    return OpsGuard(settings)
