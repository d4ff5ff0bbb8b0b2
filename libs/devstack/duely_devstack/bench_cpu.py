"""CPU time of the platform's processes (user + system, from /proc on Linux): what one journey costs
each process, the figure that says how far 2 cores can go whatever the queues do."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of one process so far; None when it is gone (or there is no /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state is field 3, utime 14, stime 15
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_S


def snapshot(procs: dict[str, subprocess.Popen]) -> dict[str, float]:
    return {name: seconds for name, proc in procs.items() if (seconds := cpu_seconds(proc.pid)) is not None}


def per_journey_ms(before: dict[str, float], after: dict[str, float], journeys: int) -> dict[str, float]:
    """Milliseconds of CPU per journey for each process present in both snapshots, largest first."""
    if journeys <= 0:
        return {}
    spent = {name: (after[name] - before[name]) * 1000 / journeys for name in before.keys() & after.keys()}
    return dict(sorted(spent.items(), key=lambda item: -item[1]))


def describe(spent: dict[str, float]) -> str:
    """"310 ms: invoicing 80, notifications 75, …" (the processes' sum, then each)."""
    if not spent:
        return "no data (no /proc here)"
    parts = ", ".join(f"{name} {ms:.0f}" for name, ms in spent.items())
    return f"{sum(spent.values()):.0f} ms: {parts}"
