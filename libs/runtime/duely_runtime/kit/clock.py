"""The one "now": timezone-aware UTC, whatever the host's zone."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
