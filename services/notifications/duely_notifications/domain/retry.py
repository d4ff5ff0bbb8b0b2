"""Retry schedules for emails and webhook deliveries."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Sequence


def max_attempts(backoff_s: Sequence[float]) -> int:
    """One first try plus one retry per backoff step."""
    return len(backoff_s) + 1


def next_retry_at(attempts_made: int, backoff_s: Sequence[float], now: datetime) -> datetime | None:
    """When to try again after `attempts_made` failed attempts; None once they are used up."""
    if attempts_made < 1:
        raise ValueError("attempts_made starts at 1")
    if attempts_made >= max_attempts(backoff_s):
        return None
    return now + timedelta(seconds=float(backoff_s[attempts_made - 1]))
