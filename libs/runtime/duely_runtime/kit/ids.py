"""Prefixed ids that sort by creation time: prefix + 12 hex digits of milliseconds + 20 random."""

from __future__ import annotations

import secrets
import time


def new_id(prefix: str) -> str:
    return f"{prefix}_{int(time.time() * 1000):012x}{secrets.token_hex(10)}"
