"""Who is signed in: the session cookie, checked with invoicing (the owner of users and sessions) and
cached for a second, the CSRF token every form carries, and the same-origin rule for every POST."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import Depends, Request

from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.roles import allowed
from duely_gateway.dashboard.api_client import ApiClient, ApiProblem

COOKIE = "duely_dashboard"
DEFAULT_ACCENT = "#4f46e5"
CACHE_S = 1.0
MAX_FORM_BYTES = 256 * 1024  # an email template is the largest thing a form posts


class NotSignedIn(Exception):
    """Raised by the page dependency; answered with a redirect to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class CsrfRefused(Exception):
    pass


@dataclass(frozen=True)
class Viewer:
    """The signed-in user on this request, and their way to the API."""

    token: str
    user: dict
    organization: dict
    csrf: str
    api: ApiClient

    @property
    def accent(self) -> str:
        """The organization's accent colour for the layout's style attribute: only a hex colour gets there."""
        value = self.organization.get("accent_color") or ""
        hex_digits = value[1:]
        if value.startswith("#") and len(hex_digits) in (3, 6) and all(c in "0123456789abcdefABCDEF" for c in hex_digits):
            return value
        return DEFAULT_ACCENT

    @property
    def role(self) -> str:
        return self.user.get("role", "viewer")

    def can(self, method: str, path: str) -> bool:
        return allowed(self.role, method, path)


def csrf_token(secret: str, token: str) -> str:
    return hmac.new(secret.encode(), f"dashboard-csrf:{token}".encode(), hashlib.sha256).hexdigest()


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def same_origin(request: Request) -> bool:
    """A form posted from another site carries its Origin (or Referer); ours names this host."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host")


class Sessions:
    """Session lookups against invoicing, cached briefly (a page load makes several API calls)."""

    def __init__(self, invoicing_url: str, internal_secret: str) -> None:
        self.invoicing_url = invoicing_url.rstrip("/")
        self.internal_secret = internal_secret
        self._cache: OrderedDict[str, tuple[float, dict | None]] = OrderedDict()

    async def lookup(self, client: httpx.AsyncClient, token: str) -> dict | None:
        key = hashlib.sha256(token.encode()).hexdigest()
        cached = self._cache.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            response = await client.get(self.invoicing_url + "/internal/dashboard/session",
                                        headers={"Authorization": f"Bearer {token}",
                                                 INTERNAL_HEADER: self.internal_secret})
        except httpx.HTTPError as exc:
            raise ApiProblem(503, "auth_unavailable", "Sign-in cannot be checked right now; retry shortly.") from exc
        if response.status_code not in (200, 401, 404):
            raise ApiProblem(503, "auth_unavailable", "Sign-in cannot be checked right now; retry shortly.")
        found = response.json() if response.status_code == 200 else None
        self._cache[key] = (time.monotonic() + CACHE_S, found)
        while len(self._cache) > 5000:
            self._cache.popitem(last=False)
        return found

    def forget(self, token: str) -> None:
        self._cache.pop(hashlib.sha256(token.encode()).hexdigest(), None)

    async def internal(self, client: httpx.AsyncClient, path: str, body: dict) -> httpx.Response:
        try:
            return await client.post(self.invoicing_url + path, json=body,
                                     headers={INTERNAL_HEADER: self.internal_secret})
        except httpx.HTTPError as exc:
            raise ApiProblem(503, "auth_unavailable", "Sign-in is unavailable right now; retry shortly.") from exc


async def signed_in(request: Request) -> Viewer:
    state = request.app.state
    token = request.cookies.get(COOKIE, "")
    found = await state.dashboard_sessions.lookup(state.client, token) if token.startswith("dsess_") else None
    if not found:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise NotSignedIn(target)
    settings = state.settings
    api = ApiClient(state.client, settings.upstreams(), token, client_ip(request))
    return Viewer(token=token, user=found["user"], organization=found["organization"],
                  csrf=csrf_token(settings.internal_secret, token), api=api)


SignedIn = Annotated[Viewer, Depends(signed_in)]


class Form:
    """A posted urlencoded form (the dashboard's forms post nothing else): `get` gives a field's last value,
    `getlist` all of them (checkboxes)."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields

    def get(self, key: str, default: str = "") -> str:
        values = self.fields.get(key)
        return values[-1] if values else default

    def getlist(self, key: str) -> list[str]:
        return list(self.fields.get(key, []))

    def __contains__(self, key: str) -> bool:
        return key in self.fields


async def read_form(request: Request) -> Form:
    body = await request.body()
    return Form(parse_qs(body[:MAX_FORM_BYTES].decode(errors="replace"), keep_blank_values=True))


async def form_of(request: Request, viewer: Viewer) -> Form:
    """The posted form, once its origin and CSRF token are checked."""
    form = await read_form(request)
    if not same_origin(request) or not hmac.compare_digest(form.get("csrf_token"), viewer.csrf):
        raise CsrfRefused()
    return form
