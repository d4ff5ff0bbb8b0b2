"""API-key authentication: every request is scoped to its key's organization.

Keys are random, shown once, and stored only as a SHA-256 hash (high-entropy
secrets need no slow hash). Invoicing owns the keys; other services ask it to
verify a key's hash over HTTP and cache the answer briefly, so the hot path
costs one dictionary lookup.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

import httpx
from fastapi import Request

from duely_runtime.errors import ApiError

KEY_PREFIX = "sk_live_"
INTERNAL_HEADER = "X-Duely-Internal-Secret"


@dataclass(frozen=True)
class Principal:
    organization_id: str
    api_key_id: str


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


Lookup = Callable[[str], Awaitable[Principal | None]]


class KeyVerifier:
    """Verifies bearer keys through `lookup(key_hash)`, with a short TTL cache."""

    def __init__(self, lookup: Lookup, ttl_s: float = 30.0, negative_ttl_s: float = 2.0) -> None:
        self.lookup = lookup
        self.ttl_s = ttl_s
        self.negative_ttl_s = negative_ttl_s
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    async def verify(self, key: str) -> Principal | None:
        key_hash = hash_key(key)
        now = time.monotonic()
        cached = self._cache.get(key_hash)
        if cached and cached[0] > now:
            return cached[1]
        principal = await self.lookup(key_hash)
        self._cache[key_hash] = (now + (self.ttl_s if principal else self.negative_ttl_s), principal)
        return principal

    async def __call__(self, request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise ApiError(401, "api_key_missing", "No API key provided: send 'Authorization: Bearer <key>'.")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "api_key_invalid", "Malformed Authorization header: expected 'Bearer <key>'.")
        principal = await self.verify(token.strip())
        if principal is None:
            raise ApiError(401, "api_key_invalid", "Invalid API key provided.")
        return principal


def remote_lookup(invoicing_url: str, internal_secret: str) -> Lookup:
    """Ask invoicing, the owner of API keys, whether a key hash is valid."""
    client = httpx.AsyncClient(base_url=invoicing_url, timeout=5.0)

    async def lookup(key_hash: str) -> Principal | None:
        response = await client.post("/internal/auth/verify", json={"key_hash": key_hash},
                                     headers={INTERNAL_HEADER: internal_secret})
        if response.status_code == 404:
            return None
        response.raise_for_status()
        body = response.json()
        return Principal(body["organization_id"], body["api_key_id"])
    return lookup


def require_internal(secret: str):
    """Dependency guarding /internal routes: only our own services know the secret."""
    async def check(request: Request) -> None:
        if not secrets.compare_digest(request.headers.get(INTERNAL_HEADER, ""), secret):
            raise ApiError(403, "forbidden", "Internal endpoint.")
    return check
