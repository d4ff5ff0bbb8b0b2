"""API-key authentication: every request is scoped to its key's organization.

Keys are random, shown once, and stored only as a SHA-256 hash (high-entropy
secrets need no slow hash). Invoicing owns the keys; other services ask it to
verify a key's hash over HTTP and cache the answer for a second, so the hot
path costs one dictionary lookup and a revoked key dies everywhere at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Awaitable, Callable

import httpx
from fastapi import Request

from duely_runtime.errors import ApiError
from duely_runtime.roles import allowed, refusal_message

LIVE_KEY_PREFIX = "sk_live_"
TEST_KEY_PREFIX = "sk_test_"  # keys of test-mode organizations say so, as Stripe's do
INTERNAL_HEADER = "X-Duely-Internal-Secret"


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API key (`api_key_id` = key id, `user_id` None) or a dashboard user's session
    (`api_key_id` = the session id). `role` is what it may do (duely_runtime.roles)."""

    organization_id: str
    api_key_id: str
    role: str = "owner"
    user_id: str | None = None


def new_api_key(test_mode: bool) -> str:
    return (TEST_KEY_PREFIX if test_mode else LIVE_KEY_PREFIX) + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def bearer_token(header: str) -> str | None:
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


Lookup = Callable[[str], Awaitable[Principal | None]]


class KeyVerifier:
    """Verifies bearer keys through `lookup(key_hash)`, with a short, bounded cache.

    A revoked key stops working everywhere within `ttl_s` (one second by default); the
    cache holds at most `max_entries` keys (least recently used go first), so random
    tokens cannot grow it; concurrent requests with the same uncached key share one lookup.
    """

    def __init__(self, lookup: Lookup, ttl_s: float = 1.0, negative_ttl_s: float = 1.0,
                 max_entries: int = 10_000) -> None:
        self.lookup = lookup
        self.ttl_s = ttl_s
        self.negative_ttl_s = negative_ttl_s
        self.max_entries = max_entries
        self._cache: OrderedDict[str, tuple[float, Principal | None]] = OrderedDict()
        self._in_flight: dict[str, asyncio.Future] = {}

    async def verify(self, key: str) -> Principal | None:
        key_hash = hash_key(key)
        now = time.monotonic()
        cached = self._cache.get(key_hash)
        if cached and cached[0] > now:
            self._cache.move_to_end(key_hash)
            return cached[1]
        if key_hash in self._in_flight:
            return await asyncio.shield(self._in_flight[key_hash])
        future = asyncio.get_running_loop().create_future()
        self._in_flight[key_hash] = future
        try:
            principal = await self.lookup(key_hash)
        except BaseException as exc:  # cancelled too: the requests waiting on this lookup must not hang
            future.set_exception(exc if isinstance(exc, Exception) else
                                 ApiError(503, "auth_unavailable", "API keys cannot be checked right now; retry."))
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        finally:
            del self._in_flight[key_hash]
        future.set_result(principal)
        self._remember(key_hash, principal, now)
        return principal

    def _remember(self, key_hash: str, principal: Principal | None, now: float) -> None:
        self._cache[key_hash] = (now + (self.ttl_s if principal else self.negative_ttl_s), principal)
        self._cache.move_to_end(key_hash)
        while len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)

    async def __call__(self, request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        if not header:
            raise ApiError(401, "api_key_missing", "No API key provided: send 'Authorization: Bearer <key>'.")
        token = bearer_token(header)
        if token is None:
            raise ApiError(401, "api_key_invalid", "Malformed Authorization header: expected 'Bearer <key>'.")
        principal = await self.verify(token)
        if principal is None:
            raise ApiError(401, "api_key_invalid", "Invalid API key provided.")
        if not allowed(principal.role, request.method, request.url.path):
            raise ApiError(403, "insufficient_role", refusal_message(principal.role))
        return principal


def remote_lookup(invoicing_url: str, internal_secret: str) -> Lookup:
    """Ask invoicing, the owner of API keys and dashboard sessions, whether a key hash is valid (and its role)."""
    client = httpx.AsyncClient(base_url=invoicing_url, timeout=5.0)

    async def lookup(key_hash: str) -> Principal | None:
        try:
            response = await client.post("/internal/auth/verify", json={"key_hash": key_hash},
                                         headers={INTERNAL_HEADER: internal_secret})
        except httpx.HTTPError as exc:
            raise _auth_unavailable() from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise _auth_unavailable()
        body = response.json()
        return Principal(body["organization_id"], body["api_key_id"], body.get("role") or "owner",
                         body.get("user_id"))
    return lookup


def _auth_unavailable() -> ApiError:
    return ApiError(503, "auth_unavailable", "API keys cannot be checked right now; retry shortly.")


def is_internal_secret(given: str, secret: str) -> bool:
    # Bytes: compare_digest refuses non-ASCII str, and a header may hold anything.
    return secrets.compare_digest(given.encode("utf-8", "surrogateescape"), secret.encode())


def require_internal(secret: str):
    """Dependency guarding /internal routes: only our own services know the secret."""
    async def check(request: Request) -> None:
        if not is_internal_secret(request.headers.get(INTERNAL_HEADER, ""), secret):
            raise ApiError(403, "forbidden", "Internal endpoint.")
    return check
