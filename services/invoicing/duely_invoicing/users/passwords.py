"""Passwords of dashboard users: argon2id (argon2-cffi), hashed off the event loop (each takes tens of ms)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
_hasher = PasswordHasher()
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
