"""Passwords of dashboard users: argon2id (argon2-cffi), hashed off the event loop (each takes tens of ms)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
# OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): ~20 ms on an idle core, so creating an organization (its
# owner's password) and signing in stay quick on a small, busy machine; argon2-cffi's defaults (64 MiB, 3 passes,
# 4 lanes) took seconds there. Stored hashes carry their parameters: raising them later needs no migration.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when no user has the email, so an unknown address takes as long as a wrong password.
_DECOY = _hasher.hash("not-a-password-of-anyone")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _DECOY, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False
    return await asyncio.to_thread(check)
