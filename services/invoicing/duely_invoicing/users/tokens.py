"""Secrets of the dashboard: one-use link tokens and session tokens. Only their SHA-256 is ever stored."""

from __future__ import annotations

import secrets

from duely_runtime.auth import hash_key

SESSION_PREFIX = "dsess_"


def new_link_token() -> str:
    return secrets.token_urlsafe(32)


def new_session_token() -> str:
    return SESSION_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hash_key(token)
