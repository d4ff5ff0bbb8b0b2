"""Test-clock arithmetic, pure: an organization's now is real time plus a forward offset
(Stripe-style test clocks), and how far one advance may move it. `org_clocks.py` reads the
stored offsets."""

from __future__ import annotations

from datetime import datetime, timedelta

SECONDS_PER_DAY = 86_400
# One advance may move a clock at most ten years, keeping datetimes far from year 9999.
MAX_ADVANCE_SECONDS = 3650 * SECONDS_PER_DAY


class InvalidAdvance(ValueError):
    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


def org_now(real_now: datetime, offset_seconds: int) -> datetime:
    return real_now + timedelta(seconds=offset_seconds)


def advance_seconds(days: int | None, seconds: int | None) -> int:
    """How far an advance request moves the clock; clocks only move forward."""
    if days is None and seconds is None:
        raise InvalidAdvance("days", "Give 'days' or 'seconds' (a positive integer) to advance the clock by.")
    for param, value in (("days", days), ("seconds", seconds)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise InvalidAdvance(param, f"'{param}' must be an integer.")
        if value is not None and value <= 0:
            raise InvalidAdvance(param, f"'{param}' must be a positive integer; clocks only move forward.")
    total = (days or 0) * SECONDS_PER_DAY + (seconds or 0)
    if total > MAX_ADVANCE_SECONDS:
        raise InvalidAdvance("days" if days else "seconds", "One advance may move the clock at most 3650 days.")
    return total
