"""Open-loop timing: when each journey or request is due, and how many started late.

Start times are fixed before the run (start + i / rate), and latency is counted from the due
time, not from when the client got round to it: a closed loop (or a late start measured from
itself) hides the queue a slow server builds up.
"""

from __future__ import annotations

import asyncio
import time


def due_times(rate: float, count: int, start: float) -> list[float]:
    """`count` start times `1 / rate` apart from `start` (perf_counter seconds)."""
    if rate <= 0:
        raise ValueError("rate must be positive")
    return [start + i / rate for i in range(count)]


def open_loop_count(rate: float, duration_s: float, count: int | None) -> int:
    """How many to start: the count when given, else rate × duration."""
    if count is not None:
        return count
    return max(1, round(rate * duration_s))


def behind_schedule(due: list[float], started: list[float], tolerance_s: float) -> int:
    """How many started more than `tolerance_s` after they were due."""
    return sum(1 for d, s in zip(due, started) if s - d > tolerance_s)


def achieved_rate(times: list[float]) -> float:
    """Events per second over the span from the first to the last event (0 with fewer than two)."""
    if len(times) < 2:
        return 0.0
    span = max(times) - min(times)
    return (len(times) - 1) / span if span > 0 else 0.0


async def sleep_until(when: float) -> None:
    """Sleep until perf_counter() reaches `when` (at once when it is past)."""
    delay = when - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)
